"""`gradcli step`: the seed update, many steps, --wrt/--freeze, divergence, JSON, the progress bar."""

from __future__ import annotations

import json
from itertools import pairwise

import pytest

from gradcli import autodiff, ops, program
from gradcli.views.step import checkpoints

SEED = ("L=(a*b+c)*f", "--a", "2", "--b", "-3", "--c", "10", "--f", "-2")
BOWL = ("(x-3)**2 + (y+1)**2", "--x", "0", "--y", "0")


def step_json(gradcli, *args, code=0):
    r = gradcli("step", *args, "--format", "json")
    assert r.exit_code == code, r.stderr
    return json.loads(r.stdout), r.stderr


# ---- the seed update -----------------------------------------------------------------------


def test_seed_update_table(gradcli):
    r = gradcli("step", *SEED, "--lr", "0.001")
    assert r.exit_code == 0, r.stderr
    assert r.stderr == ""
    assert r.stdout == (
        "variable    before      grad     after\n"
        "──────────────────────────────────────\n"
        "a           2.0000    6.0000    1.9940\n"
        "b          -3.0000   -4.0000   -2.9960\n"
        "c          10.0000   -2.0000   10.0020\n"
        "f          -2.0000    4.0000   -2.0040\n"
        "\n"
        "L: -8.0000 -> -8.0721  (Δ -0.0721)\n"
    )


def test_seed_update_json_is_exact(gradcli):
    data, _ = step_json(gradcli, *SEED, "--lr", "0.001")
    a, b, c, f = 2.0 - 0.001 * 6.0, -3.0 - 0.001 * -4.0, 10.0 - 0.001 * -2.0, -2.0 - 0.001 * 4.0
    assert data["after"]["values"] == {"a": a, "b": b, "c": c, "f": f} == {
        "a": 1.994, "b": -2.996, "c": 10.002, "f": -2.004,
    }  # fmt: skip
    assert data["after"]["value"] == (a * b + c) * f
    assert round(data["after"]["value"], 4) == -8.0721
    assert data["history"] == [-8.0, (a * b + c) * f]


def test_json_is_written_as_pythons_json_writes_it(gradcli):
    """The history, written in chunks of floats at once, reads as json.dumps writes: 1e-05, 1e-07."""
    r = gradcli("step", "y = x*x", "--x", "0.01", "--lr", "0.1", "--steps", "30", "--format", "json")
    assert r.exit_code == 0, r.stderr
    data = json.loads(r.stdout)
    assert min(data["history"]) < 1e-9 and any(1e-5 <= h < 1e-4 for h in data["history"])
    assert r.stdout == json.dumps(data) + "\n"


def test_json_has_exactly_the_spec_keys(gradcli):
    data, stderr = step_json(gradcli, *SEED, "--lr", "0.01", "--steps", "3")
    assert stderr == ""
    assert list(data) == ["output", "lr", "steps", "before", "grads", "after", "history"]
    assert (data["output"], data["lr"], data["steps"]) == ("L", 0.01, 3)
    assert data["before"] == {"value": -8.0, "values": {"a": 2.0, "b": -3.0, "c": 10.0, "f": -2.0}}
    assert data["grads"] == {"a": 6.0, "b": -4.0, "c": -2.0, "f": 4.0}
    assert list(data["after"]) == ["value", "values"]
    assert list(data["after"]["values"]) == ["a", "b", "c", "f"]
    assert len(data["history"]) == 4
    assert data["history"][0] == data["before"]["value"]
    assert data["history"][-1] == data["after"]["value"]


def test_bare_expression_output_is_null_in_json_and_called_out_in_the_table(gradcli):
    data, _ = step_json(gradcli, "x**2", "--x", "3", "--lr", "0.25")
    assert data["output"] is None
    assert data["after"]["values"] == {"x": 1.5}
    r = gradcli("step", "x**2", "--x", "3", "--lr", "0.25")
    assert r.stdout.endswith("\nout: 9.0000 -> 2.2500  (Δ -6.7500)\n")


def test_of_descends_on_a_named_node(gradcli):
    data, _ = step_json(gradcli, "e=a*b; d=e+c; L=d*f", *SEED[1:], "--lr", "0.5", "--of", "d")
    assert data["output"] == "d"
    assert data["grads"] == {"a": -3.0, "b": 2.0, "c": 1.0, "f": 0.0}
    assert data["after"]["values"] == {"a": 3.5, "b": -4.0, "c": 9.5, "f": -2.0}
    assert data["history"] == [4.0, 3.5 * -4.0 + 9.5]


def test_a_variable_with_a_default_moves_too(gradcli):
    data, _ = step_json(gradcli, "x = 5; L = (x-1)**2", "--lr", "0.25")
    assert data["after"]["values"] == {"x": 3.0}


# ---- many steps ----------------------------------------------------------------------------


def test_quadratic_converges_to_its_minimum(gradcli):
    # Each step multiplies the distance to the minimum (3, -1) by 1 - 2*lr = 0.8.
    data, _ = step_json(gradcli, *BOWL, "--lr", "0.1", "--steps", "200")
    after = data["after"]["values"]
    assert after["x"] == pytest.approx(3.0 - 3.0 * 0.8**200, abs=1e-15)
    assert after["y"] == pytest.approx(-1.0 + 0.8**200, abs=1e-15)
    assert data["after"]["value"] < 1e-30
    assert data["history"][:3] == pytest.approx([10.0, 6.4, 4.096])
    assert all(later < earlier for earlier, later in pairwise(data["history"][:101]))


def test_many_steps_summary_table(gradcli):
    r = gradcli("step", *BOWL, "--lr", "0.1", "--steps", "5")
    assert r.exit_code == 0, r.stderr
    assert r.stderr == ""
    assert r.stdout == (
        "variable   before   grad (step 1)     after\n"
        "───────────────────────────────────────────\n"
        "x          0.0000         -6.0000    2.0170\n"
        "y          0.0000          2.0000   -0.6723\n"
        "\n"
        "step       out    change\n"
        "────────────────────────\n"
        "0      10.0000          \n"
        "1       6.4000   -3.6000\n"
        "2       4.0960   -2.3040\n"
        "5       1.0737   -3.0223\n"
        "\n"
        "out: 10.0000 -> 1.0737  (Δ -8.9263) after 5 steps\n"
    )


def test_checkpoints_are_1_2_5_and_the_last_step():
    assert checkpoints(1) == [0, 1]
    assert checkpoints(2) == [0, 1, 2]
    assert checkpoints(37) == [0, 1, 2, 5, 10, 20, 37]
    assert checkpoints(1000) == [0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000]


def test_the_program_is_parsed_and_compiled_once(gradcli, monkeypatch):
    calls = {"parse": 0, "compile": 0}
    parse, init = program.parse, autodiff.Compiled.__init__

    def counting_parse(text):
        calls["parse"] += 1
        return parse(text)

    def counting_init(self, *args, **kwargs):
        calls["compile"] += 1
        init(self, *args, **kwargs)

    monkeypatch.setattr(program, "parse", counting_parse)
    monkeypatch.setattr(autodiff.Compiled, "__init__", counting_init)
    data, _ = step_json(gradcli, *BOWL, "--lr", "0.1", "--steps", "1000")
    assert data["steps"] == 1000
    assert calls == {"parse": 1, "compile": 1}


# ---- which variables move --------------------------------------------------------------------


def test_wrt_moves_only_those(gradcli):
    data, _ = step_json(gradcli, *SEED, "--lr", "0.5", "--wrt", "a,c")
    assert data["after"]["values"] == {"a": -1.0, "b": -3.0, "c": 11.0, "f": -2.0}
    assert data["grads"] == {"a": 6.0, "b": -4.0, "c": -2.0, "f": 4.0}


def test_wrt_may_be_repeated(gradcli):
    data, _ = step_json(gradcli, *SEED, "--lr", "0.5", "--wrt", "a", "--wrt", " c")
    assert data["after"]["values"] == {"a": -1.0, "b": -3.0, "c": 11.0, "f": -2.0}


def test_freeze_moves_all_but_those(gradcli):
    r = gradcli("step", *SEED, "--lr", "0.5", "--freeze", "a,c")
    assert r.exit_code == 0, r.stderr
    assert r.stdout == (
        "variable      before      grad     after\n"
        "────────────────────────────────────────\n"
        "a (frozen)    2.0000    6.0000    2.0000\n"
        "b            -3.0000   -4.0000   -1.0000\n"
        "c (frozen)   10.0000   -2.0000   10.0000\n"
        "f            -2.0000    4.0000   -4.0000\n"
        "\n"
        "L: -8.0000 -> -32.0000  (Δ -24.0000)\n"
    )


@pytest.mark.parametrize(
    "options, message",
    [
        (["--wrt", "a,z"], "--wrt a,z: z is not a variable of the program (its variables: a, b, c, f)"),
        (["--freeze", "aa"], "--freeze aa: aa is not a variable of the program; did you mean a? "
                             "(its variables: a, b, c, f)"),
        (["--wrt", "L"], "--wrt L: L is computed by the program, not a variable (its variables: a, b, c, f)"),
        (["--wrt", "a,"], "--wrt a,: a name is missing (its variables: a, b, c, f)"),
        (["--wrt", "a", "--freeze", "b"], "give --wrt or --freeze, not both"),
        (["--freeze", "a,b", "--freeze", "c,f"], "nothing to move: every variable is frozen"),
        (["--lr", "0"], "--lr must be positive (got 0); to climb instead, negate the program's output"),
        (["--lr", "-0.1"], "--lr must be positive (got -0.1); to climb instead, negate the program's output"),
        (["--lr", "nan"], "--lr: 'nan' is not a finite number"),
        (["--lr", "fast"], "--lr: 'fast' is not a number"),
        (["--steps", "0"], "invalid value for '--steps': 0 is not in the range x>=1."),
    ],
)  # fmt: skip
def test_bad_options_are_one_clean_error(gradcli, options, message):
    lr = [] if "--lr" in options else ["--lr", "0.1"]
    r = gradcli("step", *SEED, *lr, *options)
    assert (r.exit_code, r.stdout, r.stderr) == (2, "", f"error: {message}\n")


def test_lr_is_required(gradcli):
    r = gradcli("step", *SEED)
    assert (r.exit_code, r.stderr) == (
        2,
        "error: missing option '--lr' (gradient descent's learning rate; --method newton needs none)\n",
    )


def test_a_program_without_variables_has_nothing_to_move(gradcli):
    r = gradcli("step", "2*3", "--lr", "0.1")
    assert (r.exit_code, r.stderr) == (2, "error: nothing to move: the program has no variables\n")


# ---- divergence and Ctrl-C -----------------------------------------------------------------


def test_divergence_stops_at_the_last_finite_state(gradcli):
    # lr 1.5 on x**2 triples |x| each step: x = 3 * (-2)**k, until x**2 overflows at step 511.
    data, stderr = step_json(gradcli, "L=x**2", "--x", "3", "--lr", "1.5", "--steps", "20000", code=1)
    assert stderr == (
        "error: step 511 of 20000 failed: x**2 at line 1, column 3: overflow: the result is too large for a float"
        " (got -2.01117e+154 and 2); the report shows step 510, the last finite state\n"
    )
    assert data["steps"] == 510
    assert data["after"]["values"] == {"x": 3.0 * 2.0**510}
    assert data["history"] == [9.0 * 4.0**k for k in range(511)]
    clean, _ = step_json(gradcli, "L=x**2", "--x", "3", "--lr", "1.5", "--steps", "510")
    assert clean == data


def test_divergence_table_reports_the_last_finite_state(gradcli):
    r = gradcli("step", "L=log(x)", "--x", "1", "--lr", "0.5", "--steps", "10")
    assert r.exit_code == 1
    assert r.stdout == (
        "variable   before     grad    after\n"
        "───────────────────────────────────\n"
        "x          1.0000   1.0000   0.5000\n"
        "\n"
        "L: 0.0000 -> -0.6931  (Δ -0.6931)\n"
    )
    assert r.stderr == (
        "error: step 2 of 10 failed: log(x) at line 1, column 3: log needs a positive argument (got -0.5);"
        " the report shows step 1, the last finite state\n"
    )


def test_a_variable_that_overflows_is_named(gradcli):
    data, stderr = step_json(gradcli, "L=1e308*x", "--x", "1", "--lr", "10", code=1)
    assert stderr == (
        "error: step 1 of 1 failed: x became -inf (the update lr * dL/dx is inf); "
        "the report shows step 0, the last finite state\n"
    )
    assert (data["steps"], data["after"]["values"], data["history"]) == (0, {"x": 1.0}, [1e308])


def test_ctrl_c_reports_the_last_whole_step_and_exits_130(gradcli, monkeypatch):
    """Ctrl-C in the forward pass of step 39, its update already applied: the report is step 38's."""
    add, calls = ops.OPS["add"], {"count": 0, "at": None}

    def counted_add(x, y):
        calls["count"] += 1
        if calls["count"] == calls["at"]:
            raise KeyboardInterrupt
        return add.forward(x, y)

    monkeypatch.setitem(ops.OPS, "add", add._replace(forward=counted_add))  # the op table the engine compiles

    def adds(steps: int) -> int:
        calls["count"] = 0
        step_json(gradcli, *BOWL, "--lr", "0.1", "--steps", str(steps))
        return calls["count"]

    before, per_step = adds(1), adds(2) - adds(1)  # the program has two additions
    assert per_step == 2
    calls["at"] = before + 37 * per_step + 1  # the first addition of step 39's forward pass
    calls["count"] = 0
    data, stderr = step_json(gradcli, *BOWL, "--lr", "0.1", "--steps", "100", code=130)
    assert stderr == "error: interrupted after step 38 of 100; the report shows that state\n"
    calls["at"] = None
    clean, _ = step_json(gradcli, *BOWL, "--lr", "0.1", "--steps", "38")
    assert data == clean


# ---- the progress bar ------------------------------------------------------------------------


def test_no_progress_bar_when_not_on_a_terminal(gradcli):
    r = gradcli("step", *BOWL, "--lr", "0.1", "--steps", "5000")
    assert r.exit_code == 0
    assert r.stderr == ""
    assert r.stdout.endswith("\nout: 10.0000 -> 8.3816e-31  (Δ -10.0000) after 5000 steps\n")


def test_progress_bar_on_a_terminal(gradcli):
    terminal = {"TTY_COMPATIBLE": "1", "TERM": "xterm"}
    r = gradcli("step", *BOWL, "--lr", "0.1", "--steps", "5000", env=terminal)
    assert r.exit_code == 0
    assert "descending" in r.stderr and "5000/5000" in r.stderr
    assert "descending" not in r.stdout


def test_no_progress_bar_with_json_even_on_a_terminal(gradcli):
    r = gradcli("step", *BOWL, "--lr", "0.1", "--steps", "5000", "--format", "json", env={"TTY_COMPATIBLE": "1"})
    assert r.exit_code == 0
    assert r.stderr == ""
    assert json.loads(r.stdout)["steps"] == 5000


# ---- --graph ---------------------------------------------------------------------------------


def test_graph_dot_shows_the_state_after_the_update(gradcli, tmp_path):
    path = tmp_path / "after.dot"
    r = gradcli("step", *SEED, "--lr", "0.001", "--graph", str(path))
    assert r.exit_code == 0, r.stderr
    assert r.stdout.endswith("\nL: -8.0000 -> -8.0721  (Δ -0.0721)\n")
    dot = path.read_text()
    assert dot.startswith("digraph ")
    # data after the update; grads fresh at that point (dL/da = b*f = -2.996 * -2.004)
    for label in ("{ a | data 1.9940 | grad 6.0040 }", "{ f | data -2.0040 | grad 4.0280 }",
                  "{ L | data -8.0721 | grad 1.0000 }"):  # fmt: skip
        assert label in dot


def test_graph_svg_with_json(gradcli, tmp_path):
    path = tmp_path / "after.svg"
    data, stderr = step_json(gradcli, *BOWL, "--lr", "0.1", "--steps", "10", "--graph", str(path))
    assert (stderr, data["steps"]) == ("", 10)
    svg = path.read_text()
    assert "<svg" in svg and "</svg>" in svg
    assert "data 2.6779" in svg  # x = 3 - 3 * 0.8**10
    assert list(tmp_path.iterdir()) == [path]  # nothing else left behind


def test_graph_after_divergence_draws_the_last_finite_state(gradcli, tmp_path):
    path = tmp_path / "last.dot"
    r = gradcli("step", "L=log(x)", "--x", "1", "--lr", "0.5", "--steps", "10", "--graph", str(path))
    assert r.exit_code == 1
    assert "{ x | data 0.5000 | grad 2.0000 }" in path.read_text()


@pytest.mark.parametrize(
    "name, message",
    [("after.txt", "--graph {path}: name the picture .svg, .png, .pdf or .dot"),
     ("after", "--graph {path}: name the picture .svg, .png, .pdf or .dot"),
     ("missing/after.svg", "cannot write {path}: the folder {tmp}/missing does not exist"),
     ("after.svg/", "cannot write {path}/: the / at the end names a folder, and {path} is not one")],
)  # fmt: skip
def test_graph_bad_file_fails_before_the_descent(gradcli, tmp_path, name, message):
    path = tmp_path / name
    r = gradcli("step", *SEED, "--lr", "0.001", "--graph", str(path) + "/" * name.endswith("/"))
    expected = f"error: {message.format(tmp=tmp_path, path=path)}\n"
    assert (r.exit_code, r.stdout, r.stderr) == (2, "", expected)
    assert list(tmp_path.iterdir()) == []


def test_graph_too_large_for_a_picture_fails_before_the_descent(gradcli, tmp_path):
    program = "x = 1\n" + "x = x*1.0001 + 0.01\n" * 1001  # 4,005 values
    r = gradcli("step", program, "--lr", "1e-9", "--steps", "2", "--graph", str(tmp_path / "g.svg"))
    assert (r.exit_code, r.stdout) == (1, "")
    assert r.stderr.startswith("error: the graph has 4,005 values; pictures stop at 4,000")
    assert not (tmp_path / "g.svg").exists()


def test_a_long_descent_keeps_only_what_its_output_needs():
    """A table needs the output at the summary's steps; JSON every step's, as 8-byte doubles."""
    from array import array

    from gradcli.descent import Descent
    from gradcli.parser import parse

    graph = parse("(x - 3)**2 + 0.5")
    table = Descent(graph, {"x": 0.0}, graph.output, 1e-6, [graph.variables["x"]], every=False)
    table.run(200_000)
    assert table.history.all is None
    assert sorted(table.history.kept) == checkpoints(200_000)  # 0, 1, 2, 5, ..., 100,000, 200,000
    every = Descent(graph, {"x": 0.0}, graph.output, 1e-6, [graph.variables["x"]], every=True)
    every.run(200_000)
    assert isinstance(every.history.all, array) and every.history.all.itemsize == 8
    assert len(every.history.all) == 200_001
    assert [table.history[s] for s in checkpoints(200_000)] == [every.history[s] for s in checkpoints(200_000)]


def test_a_stopped_descent_keeps_the_summary_in_both_forms(gradcli):
    table = gradcli("step", "L=x**2", "--x", "3", "--lr", "1.5", "--steps", "1000")
    data = json.loads(
        gradcli("step", "L=x**2", "--x", "3", "--lr", "1.5", "--steps", "1000", "--format", "json").stdout
    )
    assert data["steps"] == 510 and len(data["history"]) == 511
    rows = {line.split()[0]: line.split()[1] for line in table.stdout.splitlines() if line[:1].isdigit()}
    assert list(rows) == ["0", "1", "2", "5", "10", "20", "50", "100", "200", "500", "510"]
    assert rows["500"] == f"{data['history'][500]:.4e}" and rows["510"] == f"{data['history'][510]:.4e}"


# ---- Newton's method -----------------------------------------------------------------------


def test_one_newton_step_lands_on_a_quadratics_minimum(gradcli):
    r = gradcli("step", *BOWL, "--method", "newton")
    assert (r.exit_code, r.stderr) == (0, "")
    assert r.stdout == (
        "variable   before      grad     after\n"
        "─────────────────────────────────────\n"
        "x          0.0000   -6.0000    3.0000\n"
        "y          0.0000    2.0000   -1.0000\n"
        "\n"
        "out: 10.0000 -> 0.0000  (Δ -10.0000) after 1 Newton step\n"
    )
    data, _ = step_json(gradcli, *BOWL, "--method", "newton", "--steps", "3")
    assert data["after"] == {"value": 0.0, "values": {"x": 3.0, "y": -1.0}}  # exactly
    assert (data["method"], data["lr"], data["history"]) == ("newton", 1.0, [10.0, 0.0, 0.0, 0.0])
    assert list(data) == ["output", "method", "lr", "steps", "before", "grads", "after", "history"]


def test_newton_moves_all_variables_at_once_by_the_inverse_hessian(gradcli):
    """A coupled quadratic: H = [[4, 2], [2, 6]], g = (4x + 2y - 2, 2x + 6y - 4); its minimum is (0.2, 0.6)."""
    data, _ = step_json(gradcli, "2*x**2 + 2*x*y + 3*y**2 - 2*x - 4*y", "--x", "5", "--y", "-7", "--method", "newton")
    assert data["after"]["values"] == pytest.approx({"x": 0.2, "y": 0.6}, abs=1e-15)
    # --lr damps the step; --wrt moves one variable (a 1 by 1 Hessian): x -= (4x + 2y)/4
    data, _ = step_json(gradcli, *BOWL, "--method", "newton", "--lr", "0.5")
    assert data["after"]["values"] == {"x": 1.5, "y": -0.5}
    data, _ = step_json(gradcli, "2*x**2 + 2*x*y", "--x", "1", "--y", "3", "--method", "newton", "--wrt", "x")
    assert data["after"]["values"] == {"x": -1.5, "y": 3.0}


def test_newton_on_a_non_quadratic_converges_fast(gradcli):
    data, _ = step_json(
        gradcli, "exp(x) - 2*x + (y - 1)**4", "--x", "3", "--y", "3", "--method", "newton", "--steps", "8"
    )
    assert data["after"]["values"]["x"] == pytest.approx(0.6931471805599453, abs=1e-12)  # log 2, quadratically
    assert data["after"]["values"]["y"] == pytest.approx(1 + 2 * (2 / 3) ** 8)  # a quartic: 2/3 of the way each step


@pytest.mark.parametrize(
    "program,message",
    [
        ("x**2 - y**2", "the Hessian is indefinite here (eigenvalues -2 to 2): Newton's step heads for a saddle point"),
        (
            "-x**2 - y**2",
            "the Hessian is negative definite here (eigenvalues -2 to -2): Newton's step heads for a maximum",
        ),
        ("x**3 + y**2", "the Hessian is singular here (eigenvalues 0 to 2): Newton's step is undefined"),
        ("x + y", "the Hessian is singular here (eigenvalues 0 to 0): Newton's step is undefined"),
        ("relu(x)**3 + y**2", "the Hessian is singular here (eigenvalues 0 to 2): Newton's step is undefined"),
    ],
)
def test_no_newton_step_is_one_clean_error(gradcli, program, message):
    r = gradcli("step", program, "--x", "0", "--y", "0", "--method", "newton")
    assert (r.exit_code, r.stdout, r.stderr) == (1, "", f"error: {message}; try --method gd\n")


def test_a_newton_step_that_fails_later_keeps_the_last_state(gradcli):
    """x**4's curvature vanishes at its minimum: Newton goes 2/3 of the way each step, until the Hessian is singular."""
    r = gradcli(
        "step", "x**4 + y**2", "--x", "1", "--y", "1", "--method", "newton", "--steps", "50", "--format", "json"
    )
    data = json.loads(r.stdout)
    assert r.exit_code == 1 and 0 < data["steps"] < 50
    assert data["after"]["values"]["x"] == pytest.approx((2 / 3) ** data["steps"])
    assert r.stderr == (
        f"error: step {data['steps'] + 1} of 50 failed: the Hessian is nearly singular here (eigenvalues "
        f"{12 * data['after']['values']['x'] ** 2:.6g} to 2): Newton's step is undefined; try --method gd; "
        f"the report shows step {data['steps']}, the last finite state\n"
    )


def test_newton_with_graph_and_plot(gradcli, tmp_path):
    dot, png = tmp_path / "after.dot", tmp_path / "path.png"
    r = gradcli("step", *BOWL, "--method", "newton", "--steps", "2", "--graph", str(dot), "--plot", str(png))
    assert r.exit_code == 0, r.stderr
    assert "x\\n3.0000" in dot.read_text() or "3.0000" in dot.read_text()
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert r.stderr == f"wrote {png}\n"


def test_bad_method_is_a_usage_error(gradcli):
    r = gradcli("step", *BOWL, "--method", "adam")
    assert r.exit_code == 2 and r.stderr.startswith("error: invalid value for '--method'")
