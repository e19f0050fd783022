"""Every op's derivative expression (program text over x, y, out) against its float function.

The expression is evaluated as gradcli evaluates any program (the parser, then the engine), at
random points and at every kink, tie and edge. Where the float derivative is a number, the
expression gives the same number, to the last bit; where the float derivative is infinite or
undefined (sqrt at 0, log of a negative base), the expression has no value either (the engine's
error). One point is different: see `test_zero_to_the_power_of_a_variable_zero`.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gradcli.autodiff import evaluate
from gradcli.errors import DomainError
from gradcli.ops import OPS
from gradcli.symbolic import templates

EDGES = [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.0, -2.0, 3.0, 1e-300, 1e300, 700.0, -700.0, 1e-8]
numbers = st.one_of(st.sampled_from(EDGES), st.floats(-50, 50), st.floats(-1e6, 1e6), st.integers(-4, 4).map(float))


def forward(op, x, y):
    try:
        out = op.forward(x) if op.arity == 1 else op.forward(x, y)
    except (ArithmeticError, ValueError):
        return None
    return out if math.isfinite(out) else None


def expression_value(template, x, y, out):
    """The expression's value as a program, or None where it has none (the engine's error)."""
    at = {"x": x, "y": y, "out": out}
    graph = template.graph
    try:
        return evaluate(graph, {name: at[name] for name in graph.variables})[graph.output]
    except DomainError:
        return None


def check(name: str, x: float, y: float) -> None:
    op = OPS[name]
    out = forward(op, x, y)
    if out is None:
        return  # the op itself has no value here: no derivative to compare
    if name == "pow" and y == 0 and (x == 0 or math.isinf(1 / x)):
        return  # the one exception, tested on its own below (0*x**-1 with x**-1 infinite)
    for k, template in enumerate(templates()[name]):
        want = op.derivs[k](x, out) if op.arity == 1 else op.derivs[k](x, y, out)
        got = expression_value(template, x, y, out)
        where = f"{name} derivative {k} ({template.text}) at x={x!r}, y={y!r}: float {want!r}, expression {got!r}"
        if math.isfinite(want):
            assert got is not None and got == want, where
        else:
            assert got is None, where


def test_every_op_has_expressions_for_every_argument():
    parsed = templates()
    assert set(parsed) == set(OPS)
    for name, op in OPS.items():
        assert len(op.derivatives) == len(op.derivs) == op.arity == len(parsed[name])
        for template in parsed[name]:
            assert set(template.graph.variables) <= {"x", "y", "out"}, (name, template.text)


@pytest.mark.parametrize("name", sorted(OPS))
@settings(max_examples=150, deadline=None)
@given(x=numbers, y=numbers)
def test_expression_and_float_agree_at_random_points(name, x, y):
    if OPS[name].arity == 2 and not math.isfinite(x - y):
        return  # max/min compare through sign(x - y), which overflows a float here (the float function does not)
    check(name, x, y)


KINKS = [
    ("relu", 0.0, 0.0), ("relu", -0.0, 0.0), ("abs", 0.0, 0.0), ("abs", -0.0, 0.0), ("sign", 0.0, 0.0),
    ("step", 0.0, 0.0), ("max", 1.5, 1.5), ("min", 1.5, 1.5), ("max", 0.0, -0.0), ("min", -2.0, -2.0),
    ("sqrt", 0.0, 0.0), ("log", 1e-300, 0.0), ("div", 0.0, 1e-300),
    ("pow", 0.0, 0.5), ("pow", 0.0, 2.0), ("pow", 0.0, 1.0), ("pow", 0.0, 3.0), ("pow", 2.0, 0.0),
    ("pow", -2.0, 2.0), ("pow", -2.0, 3.0), ("pow", -8.0, 0.0), ("pow", 0.0, -0.0), ("pow", 1e300, 0.5),
    ("pow", -0.5, 1e300), ("log0", 0.0, 0.0), ("log0", -0.0, 0.0), ("tanh", 1000.0, 0.0),
    ("sigmoid", -1000.0, 0.0), ("exp", -1000.0, 0.0),
]  # fmt: skip


@pytest.mark.parametrize("name,x,y", KINKS)
def test_expression_and_float_agree_at_kinks_and_edges(name, x, y):
    check(name, x, y)


def test_kinks_follow_pytorch_in_the_expressions():
    """relu'(0) = step(0) = 0, abs'(0) = sign(0) = 0, a tie of max or min splits the gradient in halves."""
    assert expression_value(templates()["relu"][0], 0.0, 0.0, 0.0) == 0.0
    assert expression_value(templates()["abs"][0], 0.0, 0.0, 0.0) == 0.0
    for name in ("max", "min"):
        assert [expression_value(t, 2.0, 2.0, 2.0) for t in templates()[name]] == [0.5, 0.5]


def test_infinite_derivatives_have_no_value_as_expressions():
    """sqrt'(0) = 1/(2*sqrt(0)) and (x**0.5)' at 0: infinite floats; as programs, a division by zero."""
    assert OPS["sqrt"].derivs[0](0.0, 0.0) == math.inf
    assert expression_value(templates()["sqrt"][0], 0.0, 0.0, 0.0) is None
    assert OPS["pow"].derivs[0](0.0, 0.5, 0.0) == math.inf
    assert expression_value(templates()["pow"][0], 0.0, 0.5, 0.0) is None


def test_the_exponents_derivative_is_zero_at_a_zero_base():
    """d(x**y)/dy = out*log0(x) is 0 at x = 0 (PyTorch), including 0**0; log0 is log with 0 at 0."""
    for y in (0.0, 0.5, 2.0):
        out = OPS["pow"].forward(0.0, y)
        assert OPS["pow"].derivs[1](0.0, y, out) == 0.0 == expression_value(templates()["pow"][1], 0.0, y, out)


def test_zero_to_the_power_of_a_variable_zero():
    """The base's derivative of x**y at x = 0, y = 0 is 0 in PyTorch, and in the float function; the
    power rule y*x**(y - 1) has no value there (0*0**-1), and no formula without a condition has.
    `diff` folds a number exponent 0 (`x**0`) to the derivative 0 (the rule 0*u -> 0), so the
    exception is an exponent that is a variable, equal to 0 at a base equal to 0 (or so close to 0, below
    5.6e-309, that 1/x overflows)."""
    assert OPS["pow"].derivs[0](0.0, 0.0, 1.0) == 0.0
    assert expression_value(templates()["pow"][0], 0.0, 0.0, 1.0) is None
    assert expression_value(templates()["pow"][0], 1e-310, 0.0, 1.0) is None
    assert OPS["pow"].derivs[1](0.0, 0.0, 1.0) == 0.0 == expression_value(templates()["pow"][1], 0.0, 0.0, 1.0)


def test_formula_text_for_explain_puts_the_op_for_out():
    assert OPS["tanh"].formula(0) == "1 - tanh({x})**2"
    assert OPS["div"].formula(1) == "-({x}/{y})/{y}"
    assert OPS["pow"].formula(1) == "{x}**{y}*log0({x})"
    assert OPS["sqrt"].formula(0) == "1/(2*sqrt({x}))"
    assert OPS["exp"].formula(0) == "exp({x})"
    assert OPS["max"].formula(0) == "(1 + sign({x} - {y}))/2"
