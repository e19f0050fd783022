"""`gradcli explain`: the forward pass and the chain rule written out, in text, markdown, Rich and JSON."""

from __future__ import annotations

import io
import json

import pytest
from rich.console import Console
from rich.text import Text

from gradcli.derivation import derive, fill
from gradcli.fmt import short
from gradcli.ops import OPS
from gradcli.parser import parse
from gradcli.program import Run
from gradcli.views.explain import explain_rich

SEED = ("e=a*b; d=e+c; L=d*f", "--a", "2", "--b", "-3", "--c", "10", "--f", "-2")

SEED_TEXT = """\
Forward pass
  a = 2
  b = -3
  c = 10
  f = -2
  e = a*b = 2 * -3 = -6
  d = e+c = -6 + 10 = 4
  L = d*f = 4 * -2 = -8

Backward pass: the chain rule from L back to the variables
  dL/dL = 1
  dL/dd = f = -2
  dL/df = d = 4
  dL/de = dL/dd * dd/de = -2 * 1 = -2
  dL/dc = dL/dd * dd/dc = -2 * 1 = -2
  dL/da = dL/de * de/da = -2 * b = -2 * -3 = 6
  dL/db = dL/de * de/db = -2 * a = -2 * 2 = -4
"""


def explain(gradcli, *args, code=0, env=None):
    r = gradcli("explain", *args, env=env)
    assert r.exit_code == code, r.stderr
    return r


# ---- the text, exactly -------------------------------------------------------------------------


def test_seed_derivation_exact(gradcli):
    r = explain(gradcli, *SEED)
    assert r.stdout == SEED_TEXT
    assert r.stderr == ""
    assert "  dL/da = dL/de * de/da = -2 * b = -2 * -3 = 6\n" in r.stdout


def test_fan_out_is_the_sum_of_its_paths(gradcli):
    r = explain(gradcli, "y = x*x + x", "--x", "3")
    assert r.stdout == (
        "Forward pass\n"
        "  x = 3\n"
        "  t1 = x*x = 3 * 3 = 9\n"
        "  y = x*x + x = t1 + x = 9 + 3 = 12\n"
        "\n"
        "Backward pass: the chain rule from y back to the variables\n"
        "  dy/dy = 1\n"
        "  dy/dt1 = 1\n"
        "  dy/dx via t1 = dy/dt1 * dt1/dx = 1 * (x + x) = 1 * (3 + 3) = 1 * 6 = 6\n"
        "  dy/dx via y = 1\n"
        "  dy/dx = 6 + 1 = 7\n"
    )


def test_unnamed_intermediates_are_tied_to_their_source(gradcli):
    r = explain(gradcli, "L=(a*b+c)*f", *SEED[1:])
    lines = r.stdout.splitlines()
    assert "  t1 = a*b = 2 * -3 = -6" in lines
    assert "  t2 = a*b+c = t1 + c = -6 + 10 = 4" in lines
    assert "  L = (a*b+c)*f = t2 * f = 4 * -2 = -8" in lines
    assert "  dL/da = dL/dt1 * dt1/da = -2 * b = -2 * -3 = 6" in lines


def test_neuron_local_derivative_from_the_op_table(gradcli):
    r = explain(gradcli, "o=tanh(x1*w1 + x2*w2 + b)", "--x1", "2", "--x2", "0", "--w1", "-3", "--w2", "1",
                "--b", "6.881373587019543")  # fmt: skip
    lines = r.stdout.splitlines()
    assert "  o = tanh(x1*w1 + x2*w2 + b) = tanh(t4) = tanh(0.8814) = 0.7071" in lines
    assert "  do/dt4 = 1 - tanh(t4)**2 = 1 - tanh(0.8814)**2 = 0.5" in lines
    assert "  do/dx1 = do/dt1 * dt1/dx1 = 0.5 * w1 = 0.5 * -3 = -1.5" in lines


def test_negative_numbers_are_bracketed_where_they_would_misread(gradcli):
    r = explain(gradcli, "y = x**2 + 1/x - -x", "--x", "-2")
    lines = r.stdout.splitlines()
    assert "  t1 = x**2 = (-2) ** 2 = 4" in lines
    assert "  t4 = -x = -(-2) = 2" in lines
    assert "  dy/dx via t1 = dy/dt1 * dt1/dx = 1 * 2*x**(2 - 1) = 1 * 2*(-2)**(2 - 1) = 1 * -4 = -4" in lines
    assert "  dy/dx via t2 = dy/dt2 * dt2/dx = 1 * -(1/x)/x = 1 * -(1/(-2))/(-2) = 1 * -0.25 = -0.25" in lines
    assert lines[-1] == "  dy/dx = (-4) + (-0.25) + 1 = -3.25"


def test_reassigned_name_and_identity(gradcli):
    r = explain(gradcli, "c = a + b; c = c + c + 1; y = c", "--a", "1", "--b", "2")
    assert r.stdout.splitlines()[3:] == [
        "  c#1 = a + b = 1 + 2 = 3",
        "  t1 = c + c = c#1 + c#1 = 3 + 3 = 6",
        "  c = c + c + 1 = t1 + 1 = 6 + 1 = 7",
        "  y = c = 7",
        "",
        "Backward pass: the chain rule from y back to the variables",
        "  dy/dy = 1",
        "  dy/dc = 1",
        "  dy/dt1 = dy/dc * dc/dt1 = 1 * 1 = 1",
        "  dy/dc#1 = dy/dt1 * dt1/dc#1 = 1 * (1 + 1) = 1 * 2 = 2",
        "  dy/da = dy/dc#1 * dc#1/da = 2 * 1 = 2",
        "  dy/db = dy/dc#1 * dc#1/db = 2 * 1 = 2",
    ]


def test_kink_is_noted(gradcli):
    r = explain(gradcli, "y = relu(x) + abs(x)", "--x", "0")
    lines = r.stdout.splitlines()
    assert lines[-3:] == [
        "  dy/dx via t1 = dy/dt1 * dt1/dx = 1 * step(x) = 1 * step(0) = 1 * 0 = 0"
        "  # relu has a kink at 0: this value is PyTorch's convention",
        "  dy/dx via t2 = dy/dt2 * dt2/dx = 1 * sign(x) = 1 * sign(0) = 1 * 0 = 0"
        "  # abs has a kink at 0: this value is PyTorch's convention",
        "  dy/dx = 0 + 0 = 0",
    ]


# ---- --wrt, --of, --precision ----------------------------------------------------------------


def test_wrt_follows_only_the_paths_to_one_node(gradcli):
    """The backward pass follows a's paths; the forward pass keeps every value those lines use (b, c, f)."""
    r = explain(gradcli, *SEED, "--wrt", "a")
    assert r.stdout == (
        "Forward pass\n"
        "  a = 2\n"
        "  b = -3\n"
        "  c = 10\n"
        "  f = -2\n"
        "  e = a*b = 2 * -3 = -6\n"
        "  d = e+c = -6 + 10 = 4\n"
        "  L = d*f = 4 * -2 = -8\n"
        "\n"
        "Backward pass: the chain rule from L back to a\n"
        "  dL/dL = 1\n"
        "  dL/dd = f = -2\n"
        "  dL/de = dL/dd * dd/de = -2 * 1 = -2\n"
        "  dL/da = dL/de * de/da = -2 * b = -2 * -3 = 6\n"
    )


def test_wrt_keeps_every_value_a_kept_line_uses(gradcli):
    r = explain(gradcli, "o=tanh(x1*w1 + x2*w2 + b)", "--x1", "2", "--x2", "0", "--w1", "-3", "--w2", "1",
                "--b", "6.881373587019543", "--wrt", "w1")  # fmt: skip
    assert r.stdout == (
        "Forward pass\n"
        "  x1 = 2\n"
        "  w1 = -3\n"
        "  x2 = 0\n"
        "  w2 = 1\n"
        "  b = 6.8814\n"
        "  t1 = x1*w1 = 2 * -3 = -6\n"
        "  t2 = x2*w2 = 0 * 1 = 0\n"
        "  t3 = x1*w1 + x2*w2 = t1 + t2 = -6 + 0 = -6\n"
        "  t4 = x1*w1 + x2*w2 + b = t3 + b = -6 + 6.8814 = 0.8814\n"
        "  o = tanh(x1*w1 + x2*w2 + b) = tanh(t4) = tanh(0.8814) = 0.7071\n"
        "\n"
        "Backward pass: the chain rule from o back to w1\n"
        "  do/do = 1\n"
        "  do/dt4 = 1 - tanh(t4)**2 = 1 - tanh(0.8814)**2 = 0.5\n"
        "  do/dt3 = do/dt4 * dt4/dt3 = 0.5 * 1 = 0.5\n"
        "  do/dt1 = do/dt3 * dt3/dt1 = 0.5 * 1 = 0.5\n"
        "  do/dw1 = do/dt1 * dt1/dw1 = 0.5 * x1 = 0.5 * 2 = 1\n"
    )


def test_wrt_leaves_out_values_no_kept_line_uses(gradcli):
    r = explain(gradcli, "u = a*b; v = c*d; y = u + v; z = y*k", "--a", "1", "--b", "2", "--c", "3", "--d", "4",
                "--k", "5", "--of", "y", "--wrt", "a")  # fmt: skip
    assert r.stdout.split("\n\n")[0].splitlines() == [
        "Forward pass",
        "  a = 1",
        "  b = 2",
        "  c = 3",
        "  d = 4",
        "  u = a*b = 1 * 2 = 2",
        "  v = c*d = 3 * 4 = 12",
        "  y = u + v = 2 + 12 = 14",
    ]  # fmt: skip  (k and z do not feed y)


def test_of_names_variables_that_do_not_feed_it(gradcli):
    r = explain(gradcli, *SEED, "--of", "d")
    assert r.stdout.splitlines()[-2:] == [
        "  dd/db = dd/de * de/db = 1 * a = 1 * 2 = 2",
        "  dd/df = 0  # f does not feed d",
    ]
    r = explain(gradcli, *SEED, "--of", "d", "--wrt", "f")
    assert r.stdout == (
        "Forward pass\n  f = -2\n\nBackward pass: the chain rule from d back to f\n  dd/df = 0  # f does not feed d\n"
    )


def test_precision(gradcli):
    r = explain(gradcli, "y = x/3", "--x", "1", "--precision", "2")
    assert "  y = x/3 = 1 / 3 = 0.33\n" in r.stdout
    assert "  dy/dx = 1/3 = 1/3 = 0.33\n" not in r.stdout  # a repeated step is left out
    assert "  dy/dx = 1/3 = 0.33\n" in r.stdout


def test_a_program_without_variables(gradcli):
    r = explain(gradcli, "2*3")
    assert (
        r.stdout
        == "Forward pass\n  out = 2*3 = 6\n\nBackward pass: the chain rule from out back to the variables\n  (none)\n"
    )


# ---- markdown, JSON and the terminal ---------------------------------------------------------


def test_markdown(gradcli):
    r = explain(gradcli, *SEED, "--wrt", "b", "--format", "markdown")
    assert r.stdout == (
        "### Forward pass\n"
        "\n"
        "- `a = 2`\n"
        "- `b = -3`\n"
        "- `c = 10`\n"
        "- `f = -2`\n"
        "- `e = a*b = 2 * -3 = -6`\n"
        "- `d = e+c = -6 + 10 = 4`\n"
        "- `L = d*f = 4 * -2 = -8`\n"
        "\n"
        "### Backward pass: the chain rule from L back to b\n"
        "\n"
        "- `∂L/∂L = 1`\n"
        "- `∂L/∂d = f = -2`\n"
        "- `∂L/∂e = ∂L/∂d * ∂d/∂e = -2 * 1 = -2`\n"
        "- `∂L/∂b = ∂L/∂e * ∂e/∂b = -2 * a = -2 * 2 = -4`\n"
    )


def test_json(gradcli):
    r = explain(gradcli, "y = x*x + x", "--x", "3", "--format", "json")
    data = json.loads(r.stdout)
    assert data["output"] == "y" and data["wrt"] is None and data["unreached"] == []
    assert data["forward"][1] == {
        "node": "t1", "source": "x*x", "expr": "x * x", "numbers": "3 * 3", "value": 9.0, "text": "t1 = x*x = 3 * 3 = 9",
    }  # fmt: skip
    x = data["backward"][-1]
    assert x["node"] == "x" and x["grad"] == 7.0
    assert x["terms"][0] == {
        "via": "t1", "upstream": 1.0, "local": "x + x", "numbers": "3 + 3", "local_value": 6.0, "value": 6.0, "note": None,
    }  # fmt: skip
    assert x["lines"][-1] == "dy/dx = 6 + 1 = 7"


def test_terminal_rendering_uses_partial_derivatives():
    run = _run("e=a*b; d=e+c; L=d*f", a=2, b=-3, c=10, f=-2)
    out = io.StringIO()
    Console(file=out, width=100, force_terminal=True, color_system="truecolor").print(explain_rich(derive(run)))
    assert "\x1b[1;32m6\x1b[0m" in out.getvalue()  # the result in bold green
    assert "  ∂L/∂a = ∂L/∂e * ∂e/∂a = -2 * b = -2 * -3 = 6\n" in Text.from_ansi(out.getvalue()).plain


def test_terminal_detected_by_the_command(gradcli):
    r = explain(gradcli, *SEED, env={"FORCE_COLOR": "1", "NO_COLOR": None, "TERM": "xterm-256color"})
    assert "∂L/∂a" in r.stdout and "\x1b[" in r.stdout


# ---- bounded, iterative, consistent with the engine ---------------------------------------------


@pytest.mark.slow
def test_ten_thousand_statements_stay_bounded(gradcli, tmp_path):
    source = tmp_path / "chain.grad"
    source.write_text("x0 = 1\n" + "\n".join(f"x{i} = x{i - 1}*w + 1" for i in range(1, 10_000)))
    r = explain(gradcli, "-f", str(source), "--w", "0.5")
    lines = r.stdout.splitlines()
    assert len(lines) == 2 * (200 + 1) + 3
    assert lines[101] == "  ... 19,800 lines left out (--wrt NAME follows one node, --limit 0 shows every line)"
    assert lines[304] == "  ... 29,799 lines left out (--wrt NAME follows one node, --limit 0 shows every line)"
    assert lines[-1] == "  dx9999/dw = 0 + 0 + 0 + 0 + 0 + 0 + ... (9,992 more) + 2 = 4"


def _run(source: str, **bindings: float) -> Run:
    graph = parse(source)
    return Run.of(graph, bindings, graph.output)


def test_every_op_is_explained_and_terms_add_up_to_the_engine():
    source = (
        "y = tanh(x)*sigmoid(z) + relu(x) + exp(z) + log(x) + sqrt(x) + abs(z) + sin(x) + cos(z) + tan(x)"
        " + pow(x, z) + max(x, z) + min(x, z) + x/z - -x + w + sign(z) + step(x) + log0(x); w = x"
    )
    run = _run(source, x=0.7, z=-1.3)
    assert {node.op for node in run.graph.nodes} >= set(OPS)
    d = derive(run)
    for g in d.backward:
        assert g.value == pytest.approx(sum(t.value for t in g.terms) if g.terms else 1.0, rel=1e-12)
    assert [g.node for g in d.backward][0] == run.output
    assert {g.node for g in d.backward} >= set(run.graph.variables.values())


@pytest.mark.parametrize(
    ("template", "x", "y", "expected"),
    [
        ("{x} * {y}", "2", "-3", "2 * -3"),
        ("{x} - {y}", "4", "-2", "4 - (-2)"),
        ("-{x}", "-3", "", "-(-3)"),
        ("{x} ** {y}", "-2", "2", "(-2) ** 2"),
        ("-{x}/{y}**2", "-3", "-1", "-(-3)/(-1)**2"),
        ("tanh({x})", "-0.5", "", "tanh(-0.5)"),
        ("{y}", "", "-3", "-3"),
    ],
)
def test_fill_brackets_negatives_only_where_needed(template, x, y, expected):
    assert fill(template, x, y) == expected


@pytest.mark.parametrize(
    ("value", "text"),
    [(6.0, "6"), (-0.0, "0"), (0.7071067811865476, "0.7071"), (1e-7, "1e-07"), (2.5e12, "2.5e+12"), (-1.5, "-1.5")],
)
def test_short_numbers(value, text):
    assert short(value) == text


# ---- errors ------------------------------------------------------------------------------------


def test_wrt_unknown_name(gradcli):
    r = explain(gradcli, *SEED, "--wrt", "aa", code=2)
    assert r.stderr == "error: --wrt aa: no node is named aa; did you mean a? (named nodes: a, b, c, f, e, d, L)\n"
    assert r.stdout == ""


def test_wrt_a_constant(gradcli):
    r = explain(gradcli, "k = 2*3; y = k*x", "--x", "1", "--wrt", "k", code=2)
    assert r.stderr == "error: --wrt k: k is computed from numbers alone, so it has no gradient; name a variable\n"


def test_unbound_and_domain_errors(gradcli):
    r = explain(gradcli, "y = log(x)", code=2)
    assert r.stderr.startswith("error: unbound variable: x")
    r = explain(gradcli, "y = log(x)", "--x", "-1", code=1)
    assert r.stderr == "error: log(x) at line 1, column 5: log needs a positive argument (got -1)\n"


def test_limit_keeps_the_first_and_last_lines(gradcli):
    r = explain(gradcli, *SEED, "--limit", "3")
    assert r.stdout.splitlines()[:6] == [
        "Forward pass",
        "  a = 2",
        "  b = -3",
        "  ... 4 lines left out (--wrt NAME follows one node, --limit 0 shows every line)",
        "  L = d*f = 4 * -2 = -8",
        "",
    ]
    assert explain(gradcli, *SEED, "--limit", "0").stdout == SEED_TEXT


@pytest.mark.slow
def test_explain_builds_only_the_lines_it_shows(gradcli, monkeypatch, tmp_path):
    """A 20,000-node sum in which every variable has 200 uses: 200 lines shown, about as many made."""
    from gradcli.derivation import Derivation

    made = {"line": 0, "term": 0}
    line, term = Derivation.line, Derivation.term
    monkeypatch.setattr(Derivation, "line", lambda d, i: made.__setitem__("line", made["line"] + 1) or line(d, i))
    monkeypatch.setattr(Derivation, "term", lambda d, v, i: made.__setitem__("term", made["term"] + 1) or term(d, v, i))
    names = [f"x{i}" for i in range(100)]
    source = tmp_path / "sum.grad"
    source.write_text("\n".join(f"{n} = {k}" for k, n in enumerate(names)) + "\nL = " + " + ".join(names * 200))
    r = explain(gradcli, "-f", str(source))
    lines = r.stdout.splitlines()
    assert len(lines) == 2 * (200 + 1) + 3
    assert lines[-1] == "  dL/dx1 = 1 + 1 + 1 + 1 + 1 + 1 + ... (193 more) + 1 = 200"  # x0 and x1 meet first
    assert made["line"] == 200  # forward lines: the 100 first and the 100 last of 20,099
    assert made["term"] <= 200 + 8 * 2  # backward lines, and the few terms of the sums among them
    data = json.loads(explain(gradcli, "-f", str(source), "--format", "json", "--limit", "10").stdout)
    assert (len(data["forward"]), len(data["backward"])) == (10, 10)
    assert data["left_out"] == {"forward": 20_099 - 10, "backward": 20_099 - 10}
    assert data["backward"][-1]["node"] == "x1" and len(data["backward"][-1]["terms"]) == 200
