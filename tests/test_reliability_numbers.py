"""Reliability, class 3 — numbers: every failure is one message naming the op and its place.

Through every command that takes a program (eval, graph, step, explain, check, and any added
later): huge literals and non-finite bindings are bad input (exit 2); overflow, division by zero,
complex results of `**`, a domain error and an infinite derivative fail the evaluation (exit 1)
and name the operation's source text with its line and column. Underflow is not an error: it
rounds to zero (or a subnormal) as IEEE floats do, and an error follows only where a zero
cannot be used (a division by it).
"""

from __future__ import annotations

import json

import pytest

from helpers import run_cli
from reliability import SAMPLING, assert_clean, base, program_commands

every_command = pytest.mark.parametrize("command", program_commands())


def run(command: str, program: str, *args: str):
    """`gradcli COMMAND PROGRAM` with what the command needs (step's --lr), then `args`, which win."""
    result = run_cli(command, program, *base(command), *args)
    assert_clean(result, command)
    return result


BAD_INPUT = [
    ("L = 1e999 * x", ["--x", "1"], "the number 1e999 is too large (line 1, column 5)"),
    ("a = 2\nL = a * 1" + "0" * 400, [], "is too large (line 2, column 9)"),
    ("L = 2 * x", ["--x", "1e999"], "--x: '1e999' is not a finite number"),
    ("L = 2 * x", ["--x", "inf"], "--x: 'inf' is not a finite number"),
    ("L = 2 * x", ["--x", "-inf"], "--x: '-inf' is not a finite number"),
    ("L = 2 * x", ["--x", "nan"], "--x: 'nan' is not a finite number"),
    ("L = 2 * x", ["--set", "x=NaN"], "--x: 'NaN' is not a finite number"),
]


@every_command
@pytest.mark.parametrize("program,bindings,message", BAD_INPUT)
def test_bad_numbers_are_input_errors(command, program, bindings, message):
    result = run(command, program, *bindings)
    assert result.exit_code == 2
    assert message in result.stderr


FAILURES = [
    # overflow, in the forward pass and in a function
    ("L = x * 1e308 * 10", ["--x", "1"], "x * 1e308 * 10 at line 1, column 5: overflow"),
    ("y = exp(x)\nL = y + 1", ["--x", "1000"], "exp(x) at line 1, column 5: overflow"),
    ("L = x ** 400", ["--x", "10"], "x ** 400 at line 1, column 5: overflow"),
    # division by zero, directly and through an underflow to zero
    ("y = 2*x\nL = y / (x - x)", ["--x", "1"], "y / (x - x) at line 2, column 5: division by zero"),
    ("L = 1 / (x * 1e-200 * 1e-200)", ["--x", "1"], "1 / (x * 1e-200 * 1e-200) at line 1, column 5: division by zero"),
    ("L = x ** -1", ["--x", "0"], "x ** -1 at line 1, column 5: 0 to a negative power is infinite"),
    # complex results of a power
    ("L = x ** 0.5", ["--x", "-1"], "x ** 0.5 at line 1, column 5: a negative number to a fractional power is complex"),
    ("L = pow(x, 1/3)", ["--x", "-8"], "pow(x, 1/3) at line 1, column 5: a negative number to a fractional power"),
    ("L = (x - 9) ^ 0.5", ["--x", "1"], "(x - 9) ^ 0.5 at line 1, column 5: a negative number to a fractional power"),
    # domains
    ("L = log(x)", ["--x", "0"], "log(x) at line 1, column 5: log needs a positive argument"),
    ("L = sqrt(x)", ["--x", "-1"], "sqrt(x) at line 1, column 5: sqrt needs a non-negative argument"),
]


@pytest.mark.parametrize("command", [c for c in program_commands() if c not in SAMPLING])  # plot: a gap
@pytest.mark.parametrize("program,bindings,message", FAILURES)
def test_failing_evaluations_name_the_op_and_its_place(command, program, bindings, message):
    result = run(command, program, *bindings)
    assert result.exit_code == 1
    assert message in result.stderr


INFINITE_GRADIENTS = [
    # a gradient that overflows the backward pass only
    ("L = 1e300 * tanh(x*1e10)", "the derivative of x*1e10 at line 1, column 18 in x is 1e+10, times the gradient 1e+300 above it overflows a float"),
    # a local derivative that is infinite
    ("L = sqrt(x)", "the derivative of sqrt(x) at line 1, column 5 is 1/(2*sqrt(x)), infinite at x = 0"),
]  # fmt: skip


@pytest.mark.parametrize("command", [c for c in program_commands() if c not in SAMPLING])  # plot: a gap
@pytest.mark.parametrize("program,reason", INFINITE_GRADIENTS)
def test_an_infinite_gradient_is_marked_and_noted_and_strict_makes_it_an_error(command, program, reason):
    """eval, graph, explain: exit 0 with the value shown and a note; step: x cannot move (exit 1);
    check: a FAIL that says why (exit 1). --strict: the evaluation fails, naming the op and its place."""
    result = run(command, program, "--x", "0")
    expected = {"step": 1, "check": 1}.get(command, 0)
    assert result.exit_code == expected, result.stderr
    assert reason in (result.stdout if command == "check" else result.stderr)
    if command in ("eval", "graph", "explain"):
        assert result.stderr == f"note: dL/dx is inf: {reason}\n"
    if command != "check":
        strict = run(command, program, "--x", "0", "--strict")
        assert strict.exit_code == 1
        where = reason.split(" in x is ")[0].split(" is ")[0].removeprefix("the derivative of ")
        assert strict.stderr.startswith(f"error: the derivative of {where} is infinite or undefined at 0")


@pytest.mark.parametrize(
    "program,x,value,grad",
    [
        ("L = x * 1e-300 * 1e-300", "1", 0.0, 0.0),  # underflows to zero
        ("L = x * 5e-324", "1", 5e-324, 5e-324),  # the smallest subnormal survives
        ("L = x * 1e-400", "1", 0.0, 0.0),  # a literal below the smallest float is zero
        ("L = exp(-x)", "1000", 0.0, 0.0),
        ("L = sigmoid(-x)", "1000", 0.0, 0.0),
    ],
)
def test_underflow_rounds_to_zero(program, x, value, grad):
    result = run("eval", program, "--x", x, "--format", "json")
    out = json.loads(result.stdout)
    assert (out["value"], out["grads"]["x"]) == (value, grad)


def test_the_largest_finite_numbers_work():
    out = json.loads(run("eval", "L = x * 1.7976931348623157e308", "--x", "1", "--format", "json").stdout)
    assert out["value"] == 1.7976931348623157e308


def test_descent_that_overflows_stops_at_the_last_finite_state():
    result = run("step", "L = x*x", "--x", "1", "--lr", "1e300", "--steps", "5")
    assert result.exit_code == 1
    assert "step 1 of 5 failed: x*x at line 1, column 5: overflow" in result.stderr
    assert "after 0 steps" in result.stdout
