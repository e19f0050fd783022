"""Random programs (hypothesis) against an independent oracle: sympy's diff at the same point.

Each example is a small multi-statement program over x, y, z whose named intermediates are used
again later (fan-out), written as gradcli text and built in parallel as a sympy expression.
Arguments of log, sqrt and fractional powers are kept positive by construction.
"""

from __future__ import annotations

import math
import os

import pytest
from hypothesis import HealthCheck, assume, given, reject, settings
from hypothesis import strategies as st

sympy = pytest.importorskip("sympy")

from gradcli.autodiff import evaluate, gradients  # noqa: E402
from gradcli.errors import DomainError  # noqa: E402
from gradcli.gradcheck import kink  # noqa: E402
from gradcli.parser import parse  # noqa: E402

S = {name: sympy.Symbol(name, real=True) for name in ("x", "y", "z")}


def positive(text, expr):
    """A form that is always positive: 1 + e*e."""
    return f"(1 + ({text})*({text}))", 1 + expr * expr


UNARY = {
    "neg": lambda t, e: (f"-({t})", -e),
    "tanh": lambda t, e: (f"tanh({t})", sympy.tanh(e)),
    "sigmoid": lambda t, e: (f"sigmoid({t})", 1 / (1 + sympy.exp(-e))),
    "relu": lambda t, e: (f"relu({t})", sympy.Max(0, e)),
    "exp": lambda t, e: (f"exp({t})", sympy.exp(e)),
    "log": lambda t, e: (lambda p: (f"log{p[0]}", sympy.log(p[1])))(positive(t, e)),
    "sqrt": lambda t, e: (lambda p: (f"sqrt{p[0]}", sympy.sqrt(p[1])))(positive(t, e)),
    "abs": lambda t, e: (f"abs({t})", sympy.Abs(e)),
    "sin": lambda t, e: (f"sin({t})", sympy.sin(e)),
    "cos": lambda t, e: (f"cos({t})", sympy.cos(e)),
    "square": lambda t, e: (f"({t})**2", e**2),
    "cube": lambda t, e: (f"({t})^3", e**3),
}
BINARY = {
    "add": lambda a, b: (f"({a[0]}) + ({b[0]})", a[1] + b[1]),
    "sub": lambda a, b: (f"({a[0]}) - ({b[0]})", a[1] - b[1]),
    "mul": lambda a, b: (f"({a[0]}) * ({b[0]})", a[1] * b[1]),
    "div": lambda a, b: (lambda p: (f"({a[0]}) / {p[0]}", a[1] / p[1]))(positive(*b)),
    "pow": lambda a, b: (lambda p: (f"{p[0]} ** ({b[0]})", p[1] ** b[1]))(positive(*a)),
    "powf": lambda a, b: (lambda p: (f"pow({p[0]}, {b[0]})", p[1] ** b[1]))(positive(*a)),
    "max": lambda a, b: (f"max({a[0]}, {b[0]})", sympy.Max(a[1], b[1])),
    "min": lambda a, b: (f"min({a[0]}, {b[0]})", sympy.Min(a[1], b[1])),
}


@st.composite
def expressions(draw, names: list[str], depth: int = 3):
    """(text, sympy expression) over the given names (variables or earlier statements)."""
    if depth == 0 or draw(st.integers(0, 3)) == 0:
        if draw(st.booleans()):
            name = draw(st.sampled_from(names))
            return name, ENV[name]
        c = draw(st.sampled_from([0.5, 2, 3, 1.5, 0.25]))
        return str(c), sympy.Float(c) if isinstance(c, float) else sympy.Integer(c)
    if draw(st.booleans()):
        return UNARY[draw(st.sampled_from(sorted(UNARY)))](*draw(expressions(names, depth - 1)))
    op = BINARY[draw(st.sampled_from(sorted(BINARY)))]
    return op(draw(expressions(names, depth - 1)), draw(expressions(names, depth - 1)))


ENV: dict = {}


@st.composite
def programs(draw):
    """Two or three statements; later ones may use earlier ones (possibly several times)."""
    ENV.clear()
    ENV.update(S)
    names = ["x", "y", "z"]
    lines = []
    count = draw(st.integers(1, 3))
    for k in range(count):
        text, expr = draw(expressions(names))
        if not expr.free_symbols:
            reject()  # `s0 = 2` would make s0 a variable with a default, not an expression
        name = f"s{k}" if k < count - 1 else "L"
        lines.append(f"{name} = {text}")
        ENV[name] = expr
        names.append(name)
    return "\n".join(lines), ENV["L"]


def exact(expr, subs) -> float:
    """expr at the point, to 30 digits; nan where sympy cannot compare a zero it made (Max(0.e-166, ...))."""
    try:
        return float(expr.evalf(30, subs=subs))
    except (ValueError, TypeError):
        return math.nan


point = st.floats(min_value=-2.0, max_value=2.0, allow_nan=False).filter(lambda v: abs(v) > 1e-3)


EXAMPLES = int(os.environ.get("GRADCLI_ORACLE_EXAMPLES", "120"))  # raise for a longer run on demand


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs(), point, point, point)
@pytest.mark.slow
def test_random_programs_match_sympy(program, x, y, z):
    text, expr = program
    graph = parse(text)
    at = {"x": x, "y": y, "z": z}
    bindings = {n: at[n] for n in graph.variables}
    try:
        values = evaluate(graph, bindings)
        grads = gradients(graph, values)
    except DomainError:
        assume(False)
    # Keep the comparison well conditioned: huge intermediates (cos of 1e7) amplify rounding.
    assume(max(abs(v) for v in values) < 1e4)
    # At a kink (a max tie, relu at 0) the derivative is a convention; floats can tie where reals don't.
    assume(not any(kink(graph, values, i) for i in range(len(graph.nodes))))
    subs = {S[n]: v for n, v in at.items()}
    expected = exact(expr, subs)
    assume(math.isfinite(expected) and abs(expected) < 1e12)
    assert values[graph.output] == pytest.approx(expected, rel=1e-9, abs=1e-9)
    for name, i in graph.variables.items():
        derivative = sympy.diff(expr, S[name])
        want = exact(derivative, subs)
        assume(math.isfinite(want))
        assert grads[i] == pytest.approx(want, rel=1e-7, abs=1e-9), (text, name)
