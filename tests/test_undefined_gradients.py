"""Gradients that are infinite or undefined at the point do not hide the defined ones.

Every value and every defined gradient is shown; an infinite one is `inf`, an undefined one
(nan) `undefined` (JSON: null, plus `notes` naming the node, the op and why); one `note:` line
on stderr; exit 0. `--strict` makes it an error. The numbers follow PyTorch's.
"""

from __future__ import annotations

import json
import math

import pytest

from gradcli.parser import parse
from gradcli.program import Run

POW = ("p = 2; y = x**p", "--x", "-2")
POW_NOTE = (
    "note: dy/dp is undefined: the derivative of x**p at line 1, column 12 in p is x**p*log0(x), "
    "undefined at x = -2, p = 2\n"
)
SQRT_NOTE = "note: dout/dx is inf: the derivative of sqrt(x) at line 1, column 1 is 1/(2*sqrt(x)), infinite at x = 0\n"


def test_a_negative_base_keeps_the_value_and_the_defined_gradient(gradcli):
    r = gradcli("eval", *POW)
    assert (r.exit_code, r.stderr) == (0, POW_NOTE)
    assert r.stdout == (
        "node   op    definition     value   dy/d(node)\n"
        "──────────────────────────────────────────────\n"
        "p      var   default       2.0000    undefined\n"
        "x      var   input        -2.0000      -4.0000\n"
        "y      **    x**p          4.0000       1.0000\n"
    )


def test_sqrt_at_zero_shows_its_value_and_an_infinite_gradient(gradcli):
    r = gradcli("eval", "sqrt(x)", "--x", "0")
    assert (r.exit_code, r.stderr) == (0, SQRT_NOTE)
    assert r.stdout == (
        "node    op    definition    value   dout/d(node)\n"
        "────────────────────────────────────────────────\n"
        "x      var    input        0.0000            inf\n"
        "out    sqrt   sqrt(x)      0.0000         1.0000\n"
    )


def test_json_has_null_and_notes(gradcli):
    r = gradcli("eval", *POW, "--format", "json")
    assert r.exit_code == 0 and r.stderr == POW_NOTE
    data = json.loads(r.stdout)
    assert data["value"] == 4.0
    assert data["grads"] == {"p": None, "x": -4.0, "y": 1.0}
    assert data["notes"] == [
        {"node": "p", "op": "**", "reason": POW_NOTE.split("undefined: ", 1)[1].rstrip("\n")},
    ]
    assert [node["grad"] for node in data["nodes"]] == [None, -4.0, 1.0]
    assert "notes" not in json.loads(gradcli("eval", "y = x*x", "--x", "1", "--format", "json").stdout)


def test_strict_makes_it_an_error(gradcli):
    r = gradcli("eval", "sqrt(x)", "--x", "0", "--strict")
    assert (r.exit_code, r.stdout) == (1, "")
    assert r.stderr == "error: the derivative of sqrt(x) at line 1, column 1 is infinite or undefined at 0\n"
    assert gradcli("eval", "sqrt(x)", "--x", "1", "--strict").exit_code == 0


def test_several_undefined_gradients_make_one_note_line(gradcli):
    r = gradcli("eval", "y = sqrt(a) + sqrt(b) + sqrt(c)", "--a", "0", "--b", "0", "--c", "0")
    assert r.exit_code == 0
    assert r.stderr.count("\n") == 1
    assert r.stderr.startswith("note: dy/da is inf: the derivative of sqrt(a)")
    assert r.stderr.endswith(" (and 2 more)\n")


# ---- PyTorch's numbers ---------------------------------------------------------------------------

CASES = [
    # (program, bindings, PyTorch's gradients as it computes them in float64)
    ("y = x**p", {"x": -2.0, "p": 2.0}, {"x": -4.0, "p": math.nan}),
    ("y = sqrt(x)", {"x": 0.0}, {"x": math.inf}),
    ("y = x**0", {"x": 0.0}, {"x": 0.0}),
    ("y = x**0.5", {"x": 0.0}, {"x": math.inf}),
    ("y = x**1.5", {"x": 0.0}, {"x": 0.0}),
    ("y = x**p", {"x": 0.0, "p": 0.5}, {"x": math.inf, "p": 0.0}),
    ("y = x**p", {"x": 0.0, "p": 2.0}, {"x": 0.0, "p": 0.0}),
    ("y = sqrt(x)*0", {"x": 0.0}, {"x": math.nan}),
    ("y = sqrt(x) + x", {"x": 0.0}, {"x": math.inf}),
    ("y = sqrt(x*x)", {"x": 0.0}, {"x": math.nan}),
]


def _same(mine: float, theirs: float) -> bool:
    return (math.isnan(mine) and math.isnan(theirs)) or mine == theirs


@pytest.mark.parametrize(("source", "bindings", "expected"), CASES)
def test_the_numbers_are_pytorchs(source, bindings, expected):
    graph = parse(source)
    run = Run.of(graph, bindings, graph.output)
    mine = {name: run.grads[i] for name, i in graph.variables.items()}
    assert all(_same(mine[n], expected[n]) for n in expected), mine
    assert bool(run.notes) == any(not math.isfinite(v) for v in expected.values())


@pytest.mark.parametrize(("source", "bindings", "expected"), CASES)
def test_the_expected_numbers_are_what_torch_computes(source, bindings, expected):
    torch = pytest.importorskip("torch")
    from gradcli.torchcheck import torch_gradients

    graph = parse(source)
    theirs = torch_gradients(Run.of(graph, bindings, graph.output))
    assert torch.__version__  # the table above was read off this torch
    assert all(_same(theirs[n], expected[n]) for n in expected), theirs


# ---- every command -------------------------------------------------------------------------------


def test_graph_draws_the_mark_and_notes_it(gradcli):
    r = gradcli("graph", *POW)
    assert (r.exit_code, r.stderr) == (0, POW_NOTE)
    assert 'v0 [label="{ p | data 2.0000 | grad undefined }"' in r.stdout
    assert 'v1 [label="{ x | data -2.0000 | grad -4.0000 }"' in r.stdout


def test_explain_writes_the_mark_and_says_where(gradcli):
    r = gradcli("explain", "sqrt(x)", "--x", "0")
    assert (r.exit_code, r.stderr) == (0, SQRT_NOTE)
    assert r.stdout.splitlines()[-1] == "  dout/dx = 1/(2*sqrt(x)) = 1/(2*sqrt(0)) = inf  # dout/dx is inf here"
    data = json.loads(gradcli("explain", "sqrt(x)", "--x", "0", "--format", "json").stdout)
    assert data["backward"][-1]["grad"] is None and data["backward"][-1]["terms"][0]["local_value"] is None
    assert data["notes"][0]["node"] == "x"


def test_step_holds_the_variable_it_cannot_move_and_moves_the_others(gradcli):
    r = gradcli("step", "y = sqrt(x) + (z - 1)**2", "--x", "0", "--z", "0", "--lr", "0.25")
    assert r.exit_code == 0
    assert r.stdout == (
        "variable        before      grad    after\n"
        "─────────────────────────────────────────\n"
        "x (not moved)   0.0000       inf   0.0000\n"
        "z               0.0000   -2.0000   0.5000\n"
        "\n"
        "y: 1.0000 -> 0.2500  (Δ -0.7500)\n"
    )
    assert r.stderr == (
        "note: x is not moved: dy/dx is inf: the derivative of sqrt(x) at line 1, column 5 is 1/(2*sqrt(x)), "
        "infinite at x = 0\n"
    )
    data = json.loads(gradcli("step", "y = sqrt(x) + (z - 1)**2", "--x", "0", "--z", "0", "--lr", "0.25",
                              "--format", "json").stdout)  # fmt: skip
    assert data["grads"] == {"x": None, "z": -2.0} and data["after"]["values"] == {"x": 0.0, "z": 0.5}
    assert data["notes"][0]["node"] == "x"


def test_step_with_nothing_to_move_and_strict(gradcli):
    r = gradcli("step", "y = sqrt(x)", "--x", "0", "--lr", "0.1")
    assert (r.exit_code, r.stdout) == (1, "")
    assert r.stderr.startswith("error: nothing can move: x is not moved: dy/dx is inf: the derivative of sqrt(x)")
    r = gradcli("step", "y = sqrt(x) + z*z", "--x", "0", "--z", "1", "--lr", "0.1", "--strict")
    assert r.exit_code == 1
    assert r.stderr == "error: the derivative of sqrt(x) at line 1, column 5 is infinite or undefined at 0\n"


def test_a_gradient_that_becomes_undefined_during_the_descent_stops_it(gradcli):
    r = gradcli("step", "y = sqrt(x*x)", "--x", "1", "--lr", "1", "--steps", "5")  # x: 1 -> 0, where dy/dx is 0 * inf
    assert r.exit_code == 1
    assert r.stderr == (
        "error: step 2 of 5 failed: dy/dx became undefined: the derivative of sqrt(x*x) at line 1, column 5 is "
        "1/(2*sqrt(t1)), infinite at t1 = 0; the report shows step 1, the last finite state\n"
    )


def test_check_fails_a_gradient_it_cannot_confirm_and_says_why(gradcli):
    r = gradcli("check", *POW, "--format", "json")
    assert r.exit_code == 1
    rows = {row["name"]: row for row in json.loads(r.stdout)["rows"]}
    assert rows["x"]["status"] == "ok" and rows["x"]["analytic"] == -4.0
    assert rows["p"]["status"] == "FAIL" and rows["p"]["analytic"] is None
    assert rows["p"]["note"].startswith(
        "the derivative of x**p at line 1, column 12 in p is x**p*log0(x), undefined at x = -2, p = 2; "
        "a finite difference cannot confirm a gradient that is not finite"
    )


def test_check_against_torch_agrees_on_undefined(gradcli):
    pytest.importorskip("torch")
    r = gradcli("check", *POW, "--against", "torch", "--format", "json")
    assert r.exit_code == 0
    rows = {row["name"]: (row["status"], row["analytic"], row["numeric"]) for row in json.loads(r.stdout)["rows"]}
    assert rows == {"p": ("ok", None, None), "x": ("ok", -4.0, -4.0)}
