"""The walk-through page in a real browser (headless Chromium): it opens offline with no errors and no
request, steps forward then backward with explain's lines, re-runs both passes when an input changes
(the numbers agree with `eval --format json` and the lines with `explain --format json`, on random
programs too), cannot be made to run a label as script, and ends looking like `gradcli graph`'s picture.

One browser serves the whole module; each test opens its pages in a fresh context.
"""

from __future__ import annotations

import json
import math
import os
import random
import re

import pytest

from gradcli import Value, walkthrough
from gradcli.parser import parse
from gradcli.program import Run, bind
from gradcli.walkpage import page as make_page
from helpers import run_cli

SEED = ("e=a*b; d=e+c; L=d*f", "--a", "2", "--b", "-3", "--c", "10", "--f", "-2")
#: The page's numbers against gradcli's: the same op table, the same order of operations, so the
#: same floats, except that JavaScript's Math.tanh, exp, log, pow, sin ... are not the C library's
#: and may differ in the last bit (each op is held to 4 units in the last place below). Through a
#: program that stays near 1e-12 of the value, or of 1 for values near 0 (a difference of two close
#: numbers). Chromium 156 against Debian's glibc gave the same bits at every point tried.
RTOL, ATOL = 1e-12, 1e-12


def write(tmp_path, *args, name="walk.html"):
    path = tmp_path / name
    r = run_cli("graph", *args, "--out", str(path))
    assert r.exit_code == 0, r.stderr
    return path


def as_explain(line: str) -> str:
    """The page writes ∂ where explain's plain text writes d."""
    return line.replace("\u2202", "d")


def cli_json(command, *args):
    r = run_cli(command, *args, "--format", "json")
    return r.exit_code, (json.loads(r.stdout) if r.exit_code == 0 else r.stderr)


def close(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=RTOL, abs_tol=ATOL) or (math.isnan(a) and math.isnan(b))


def assert_agrees(opened, program: str, bindings: dict[str, str]):
    """The page's numbers equal `eval --format json`'s and its lines `explain --format json`'s at these bindings."""
    flags = [f"--{n}={v}" for n, v in bindings.items()]
    code, evaluated = cli_json("eval", program, *flags)
    assert code == 0, evaluated
    numbers = opened.numbers()
    for node in evaluated["nodes"]:
        if node["op"] == "const":
            continue
        value, grad = numbers[node["id"]]
        assert close(value, node["value"]) and close(grad, node["grad"]), (program, bindings, node, value, grad)
    code, explained = cli_json("explain", program, *flags, "--limit", "0")
    forward, backward = opened.lines()
    by_node = {as_explain(line).split(" = ")[0]: as_explain(line) for line in forward}
    for entry in explained["forward"]:
        assert by_node[entry["node"]] == entry["text"], (program, bindings)
    expected = [line for entry in explained["backward"] for line in entry["lines"]]
    assert [as_explain(line) for line in backward[: len(expected)]] == expected, (program, bindings)


# ---- opening and stepping ------------------------------------------------------------------------


def test_seed_page_opens_offline_with_no_error_and_no_request(open_page, tmp_path):
    path = write(tmp_path, *SEED)
    opened = open_page(path)
    assert opened.page.evaluate("document.body.classList.contains('gc-ready')")  # the script ran under the CSP
    assert (opened.console, opened.errors) == ([], [])
    assert opened.requests == [path.resolve().as_uri()]
    assert opened.text("#gc-counter") == "Step 0 of 14 \u00b7 the start"
    for name, value in {"a": "2", "b": "-3", "c": "10", "f": "-2"}.items():
        field = opened.page.locator(f"input[type=number][name={name}]")
        assert (field.get_attribute("id"), field.get_attribute("aria-label"), field.input_value()) == (
            name,
            name,
            value,
        )
        assert opened.page.locator(f"input[type=range][aria-label='{name} (slider)']").count() == 1
    assert opened.texts("[data-k=v2] text") == ["e", "data ?", "grad ?"]  # nothing computed yet


def test_next_shows_each_node_its_line_and_what_lights_up(open_page, tmp_path):
    """Nodes: a0 b1 e2 c3 d4 f5 L6. Forward: a b c f (the inputs) e d L; backward: L d f e c a b."""
    opened = open_page(write(tmp_path, *SEED))
    expected = {
        1: ("forward pass: a", "a = 2", ["v0"], [], []),
        5: ("forward pass: e", "e = a*b = 2 * -3 = -6", ["v2"], ["o2"], ["o2->v2", "v0->o2", "v1->o2"]),
        8: ("backward pass: L", "\u2202L/\u2202L = 1", ["v6"], [], []),
        9: ("backward pass: d", "\u2202L/\u2202d = f = -2", ["v4"], ["o6"], ["o6->v6", "v4->o6"]),
        13: (
            "backward pass: a",
            "\u2202L/\u2202a = \u2202L/\u2202e * \u2202e/\u2202a = -2 * b = -2 * -3 = 6",
            ["v0"], ["o2"], ["o2->v2", "v0->o2"],
        ),
    }  # fmt: skip
    clicks = 0
    for step, (counter, line, current, op, edges) in expected.items():
        for _ in range(step - clicks):
            opened.page.click("#gc-next")
        clicks = step
        assert opened.text("#gc-counter") == f"Step {step} of 14 \u00b7 {counter}"
        assert opened.text("#gc-now") == line
        assert (opened.lit("current"), opened.lit("op"), opened.lit("edge")) == (current, op, edges)
    assert opened.texts("[data-k=v0] text") == ["a", "data 2.0000", "grad 6.0000"]
    assert opened.texts("[data-k=v1] text") == ["b", "data -3.0000", "grad ?"]  # b's gradient is the next step
    assert opened.texts("#gc-backward li:not([hidden]) code")[-1] == expected[13][1]
    assert (opened.console, opened.errors) == ([], [])


def test_every_step_shows_explains_line(open_page, tmp_path):
    """The seed example, step by step: each of the 14 steps shows exactly explain's line for it."""
    opened = open_page(write(tmp_path, *SEED))
    lines = [line.strip() for line in run_cli("explain", *SEED).stdout.splitlines() if line.startswith("  ")]
    shown = []
    for _ in lines:
        opened.page.click("#gc-next")
        shown.append(as_explain(opened.text("#gc-now")))
    assert shown == lines and len(lines) == 14


def test_keys_step_back_and_jump_to_either_end(open_page, tmp_path):
    opened = open_page(write(tmp_path, *SEED))
    opened.press("ArrowRight", 3)
    opened.press("ArrowLeft")
    assert opened.text("#gc-counter") == "Step 2 of 14 \u00b7 forward pass: b"
    opened.press("End")
    assert opened.text("#gc-counter") == "Step 14 of 14 \u00b7 backward pass: b"
    assert opened.page.is_disabled("#gc-next") and opened.page.is_disabled("#gc-end")
    opened.press("ArrowRight")  # nothing past the end
    assert opened.text("#gc-counter").startswith("Step 14 of 14")
    opened.press("Home")
    assert opened.text("#gc-counter") == "Step 0 of 14 \u00b7 the start"
    opened.page.focus("input[name=a]")  # in a field the arrows change the number, not the step
    opened.press("ArrowRight")
    assert opened.text("#gc-counter").startswith("Step 0 of 14")


def test_play_steps_on_its_own_and_pauses(open_page, tmp_path):
    expect = pytest.importorskip("playwright.sync_api").expect
    opened = open_page(write(tmp_path, *SEED))
    opened.page.click("#gc-play")
    assert opened.text("#gc-play") == "\u275a\u275a Pause"
    expect(opened.page.locator("#gc-counter")).to_have_text(re.compile("^Step 2 "), timeout=5000)
    opened.page.click("#gc-play")
    stopped = opened.text("#gc-counter")
    opened.page.wait_for_timeout(1300)  # longer than a step
    assert opened.text("#gc-counter") == stopped and opened.text("#gc-play") == "\u25b6 Play"


def test_the_end_is_gradcli_graphs_picture(open_page, tmp_path):
    opened = open_page(write(tmp_path, *SEED))
    opened.press("End")
    svg = run_cli("graph", *SEED, "--format", "svg").stdout
    picture = [re.sub(r"&#45;", "-", t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg)]
    assert opened.texts("#gc-picture svg text") == picture
    assert opened.lit("current") == ["v1"]  # the last step: b


def test_fan_out_writes_each_path_and_their_sum(open_page, tmp_path):
    opened = open_page(write(tmp_path, "y = x*x + x", "--x", "3"))
    opened.press("End")
    assert opened.text("#gc-now") == (
        "\u2202y/\u2202x via t1 = \u2202y/\u2202t1 * \u2202t1/\u2202x = 1 * (x + x) = 1 * (3 + 3) = 1 * 6 = 6"
        "\u2202y/\u2202x via y = 1"
        "\u2202y/\u2202x = 6 + 1 = 7"
    )
    assert opened.lit("op") == ["o1", "o2"] and opened.lit("edge") == ["o1->v1", "o2->v2", "v0->o1", "v0->o2"]


# ---- changing the inputs ---------------------------------------------------------------------------


def test_changing_b_updates_every_value_gradient_and_line(open_page, tmp_path):
    opened = open_page(write(tmp_path, *SEED))
    opened.press("End")
    opened.page.fill("input[name=b]", "1.5")
    assert opened.page.input_value("input[type=range][aria-label='b (slider)']") == "1.5"
    assert opened.texts("[data-k=v0] text") == ["a", "data 2.0000", "grad -3.0000"]
    assert opened.lines()[1][-2] == "\u2202L/\u2202a = \u2202L/\u2202e * \u2202e/\u2202a = -2 * b = -2 * 1.5 = -3"
    assert_agrees(opened, SEED[0], {"a": "2", "b": "1.5", "c": "10", "f": "-2"})
    opened.page.fill("input[type=range][aria-label='c (slider)']", "-4")  # the slider moves the field too
    assert opened.page.input_value("input[name=c]") == "-4"
    assert_agrees(opened, SEED[0], {"a": "2", "b": "1.5", "c": "-4", "f": "-2"})
    assert (opened.console, opened.errors) == ([], [])


def test_an_input_outside_the_domain_says_why_and_recovers(open_page, tmp_path):
    opened = open_page(write(tmp_path, "y = log(x) * z", "--x", "2", "--z", "3"))
    opened.press("End")
    opened.page.fill("input[name=x]", "-1")
    r = run_cli("eval", "y = log(x) * z", "--x", "-1", "--z", "3")
    assert r.exit_code == 1
    assert opened.text("#gc-now") == r.stderr.strip() + "; no gradient without every value"
    opened.page.fill("input[name=x]", "0.5")
    assert_agrees(opened, "y = log(x) * z", {"x": "0.5", "z": "3"})


UNARY = ["-{}", "tanh({})", "sigmoid({})", "relu({})", "exp({})", "log({})", "sqrt({})", "abs({})", "sin({})",
         "cos({})", "tan({})", "({})**2", "({})^3", "log(1 + ({})**2)"]  # fmt: skip
BINARY = ["{} + {}", "{} - {}", "{} * {}", "{} / {}", "({}) ** 2", "pow(1 + ({})**2, {})", "max({}, {})",
          "min({}, {})", "{} * {} + 1"]  # fmt: skip
POINTS = [-2.0, -1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 3.0]


def random_expression(rng: random.Random, names: list[str], depth: int) -> str:
    if depth == 0 or rng.random() < 0.25:
        return rng.choice(names) if rng.random() < 0.8 else rng.choice(["2", "0.5", "3"])
    if rng.random() < 0.45:
        return rng.choice(UNARY).format(random_expression(rng, names, depth - 1))
    form = rng.choice(BINARY)
    return form.format(*(random_expression(rng, names, depth - 1) for _ in range(form.count("{}"))))


def random_program(rng: random.Random) -> str:
    """Two or three statements over x, y, z, each later one using the earlier (fan-out)."""
    names, statements = ["x", "y", "z"], []
    for k in range(rng.choice([2, 3])):
        statements.append(f"s{k} = {random_expression(rng, names, 3)}")
        names.append(f"s{k}")
    return "; ".join(statements)


def test_random_programs_agree_with_eval_and_explain(open_page, tmp_path):
    """Random programs over every op, at random points (grid points hit kinks and ties), changed in the page;
    GRADCLI_PAGE_EXAMPLES=200 checks more points."""
    rng = random.Random(17)
    checked = failed = 0
    while checked < int(os.environ.get("GRADCLI_PAGE_EXAMPLES", "12")):
        program = random_program(rng)
        graph = parse(program)
        start = {n: str(rng.choice(POINTS)) for n in graph.variables}
        try:
            run = Run.of(graph, bind(graph, start), graph.output)
        except Exception:
            continue
        path = tmp_path / f"p{checked}.html"
        path.write_text(make_page(run, program=program))
        opened = open_page(path)
        opened.press("End")
        for k in range(3):
            point = {n: str(rng.choice(POINTS) if k < 2 else round(rng.uniform(-3, 3), 6)) for n in graph.variables}
            for name, value in point.items():
                opened.page.fill(f"input[name={name}]", value)
            if run_cli("eval", program, *(f"--{n}={v}" for n, v in point.items())).exit_code:
                assert opened.text("#gc-now").startswith("error: "), program
                failed += 1
                continue
            assert_agrees(opened, program, point)
            checked += 1
        assert (opened.console, opened.errors) == ([], []), program
        opened.page.context.close()
    assert failed < checked  # the domains failed at some points, not at most


def test_numbers_are_written_as_gradcli_writes_them(open_page, tmp_path):
    """Ties rounded half to even (0.03125 -> 0.0312), the switch to scientific notation, a carry (9.99995)."""
    values = [0.03125, 0.125, 2.5, 1234500000.0, 1e-07, -2.5e-05, 0.00015, 123456789.5, 1e21, 5e-324, -5e-05,
              9.99995, 99999.99995, 1e300, -0.5]  # fmt: skip
    names = [f"x{k}" for k in range(len(values))]
    program = "y = " + " + ".join(f"{n}*0" for n in names)
    flags = [f"--{n}={v!r}" for n, v in zip(names, values)]
    for precision in ("0", "4"):
        opened = open_page(write(tmp_path, program, *flags, "--precision", precision, name=f"p{precision}.html"))
        opened.press("End")
        explained = json.loads(run_cli("explain", program, *flags, "--precision", precision, "--format", "json").stdout)
        assert opened.lines()[0][: len(values)] == [entry["text"] for entry in explained["forward"][: len(values)]]
        svg = run_cli("graph", program, *flags, "--precision", precision, "--format", "svg").stdout
        picture = [re.sub(r"&#45;", "-", t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg)]
        assert opened.texts("#gc-picture svg text") == picture
        opened.page.context.close()


# ---- safe with any text ------------------------------------------------------------------------------


def test_a_label_or_file_name_cannot_run_as_script(open_page, tmp_path):
    hostile = '</script><script>window.pwned = 1</script><img src=x onerror="window.pwned = 2">'
    a, b = Value(2.0, label=hostile), Value(-3.0, label="b")
    out = (a * b).tanh()
    out.label = "<b>out</b>"
    opened = open_page(walkthrough(out, tmp_path / "value.html"))
    opened.press("End")
    assert opened.page.evaluate("window.pwned") is None
    assert opened.page.locator("input[type=number]").first.get_attribute("aria-label") == hostile
    assert hostile in opened.text("#gc-forward")
    assert opened.page.title() == "gradcli walk-through: <b>out</b>, from a Value"
    assert (opened.console, opened.errors) == ([], [])
    assert opened.requests == [(tmp_path / "value.html").as_uri()]

    name = tmp_path / "<img src=x onerror=window.pwned=3>.grad"
    name.write_text("# </script><script>window.pwned = 4</script>\ny = x * 2\n")
    opened = open_page(write(tmp_path, "-f", str(name), "--x", "1", name="file.html"))
    assert opened.page.evaluate("window.pwned") is None
    assert str(name) in opened.text("header") and "window.pwned = 4" in opened.text("pre")
    assert opened.requests == [(tmp_path / "file.html").as_uri()]


def test_the_content_security_policy_refuses_remote_loads(open_page, tmp_path):
    opened = open_page(write(tmp_path, *SEED))
    refused = opened.page.evaluate(
        """async () => {
            const seen = [];
            document.addEventListener("securitypolicyviolation", (e) => seen.push(e.violatedDirective));
            try { await fetch("http://127.0.0.1:9/x"); } catch (e) { seen.push("fetch failed"); }
            const img = document.createElement("img");
            img.src = "http://127.0.0.1:9/x.png";
            document.body.append(img);
            await new Promise((done) => setTimeout(done, 200));
            return seen;
        }"""
    )
    assert sorted(refused) == ["connect-src", "fetch failed", "img-src"]
    assert opened.failed == [("http://127.0.0.1:9/x.png", "csp")]  # never sent


# ---- pictures --------------------------------------------------------------------------------------


@pytest.mark.parametrize("step, counter", [(12, "backward pass: c"), (14, "backward pass: b")])
def test_screenshots_mid_backward_and_at_the_end(open_page, tmp_path, step, counter):
    """Taken and looked at while writing the page (README's docs/walk.png is the first of these)."""
    opened = open_page(write(tmp_path, *SEED))
    opened.press("ArrowRight", step)
    assert opened.text("#gc-counter") == f"Step {step} of 14 \u00b7 {counter}"
    shot = opened.page.screenshot(path=str(tmp_path / f"step{step}.png"), full_page=True)
    assert shot[:8] == b"\x89PNG\r\n\x1a\n" and len(shot) > 20_000


# ---- the op code is the op table's ---------------------------------------------------------------------

EDGES = [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.0, -2.0, 3.0, 1e-300, 1e300, 700.0, -700.0, 1e-8, 1.5, -3.0]
#: Arithmetic (and sqrt) is IEEE's in both languages, exact; JavaScript's Math.tanh, exp, log, pow, sin ...
#: are not the C library's, and may differ in the last bits.
EXACT = {"add", "sub", "mul", "div", "neg", "id", "relu", "abs", "sign", "step", "max", "min", "sqrt"}
ULPS = 4


def same(python: float, js, exact: bool) -> bool:
    js = float(js)  # a whole number comes back from the browser as an int
    if math.isnan(python) or math.isinf(python):
        return repr(python) == repr(js)
    if exact:
        return python == js
    return abs(python - js) <= ULPS * math.ulp(max(abs(python), abs(js)))


def test_the_pages_op_code_is_the_op_tables(open_page, tmp_path):
    """Each op's forward function, local derivatives and kink side, as the page runs them (generated from
    the table), at edges, kinks, ties and random points, against the table's own Python functions."""
    from gradcli.ops import OPS

    rng = random.Random(3)
    points = (
        EDGES
        + [rng.uniform(-5, 5) for _ in range(30)]
        + [rng.choice([-1, 1]) * 10 ** rng.uniform(-8, 8) for _ in range(20)]
    )
    cases = []
    for name, op in OPS.items():
        pairs = [(x, 0.0) for x in points] if op.arity == 1 else [(x, y) for x in points[:24] for y in points[:24]]
        pairs += [(x, x) for x in points] if op.arity == 2 else []  # ties
        for x, y in pairs:
            try:
                out = op.forward(x) if op.arity == 1 else op.forward(x, y)
            except (ArithmeticError, ValueError):
                continue
            if math.isfinite(out):
                cases.append((name, x, y, out))
    path = tmp_path / "ops.html"
    path.write_text(make_page(Run.of(parse("y = x"), {"x": 1.0}, 1)))
    opened = open_page(path)
    got = opened.page.evaluate(
        """(cases) => cases.map(([name, x, y, out]) => {
            const op = OPS[name];
            const args = op.d.length === 1 ? [x] : [x, y];
            return [op.f(...args), op.d.map((d) => d(...args, out)), op.side ? op.side(...args) : null];
        })""",
        cases,
    )
    checked = 0
    for (name, x, y, out), (f, derivatives, side) in zip(cases, got):
        op, args = OPS[name], ((x,) if OPS[name].arity == 1 else (x, y))
        where = f"{name} at {args}"
        assert same(out, f, name in EXACT), (where, out, f)
        for k, d in enumerate(op.derivs):
            assert same(d(*args, out), derivatives[k], name in EXACT), (where, k, d(*args, out), derivatives[k])
        if op.kink is not None:
            assert (op.kink.side(*args) == 0) == (side == 0), where
        checked += 1
    assert checked > 3000
