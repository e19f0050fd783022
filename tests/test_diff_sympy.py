"""`gradcli diff`'s formulas against sympy on random programs (hypothesis).

Each program is written as gradcli text and built in parallel as a sympy expression. Our formula
(the derivative's nodes, turned into sympy with exact rational numbers) must simplify to sympy's
own derivative: `sympy.simplify(ours - sympy.diff(...)) == 0`. Programs with a kink (max, min,
abs, relu) are piecewise: there the two are compared at random points away from every kink.
Programs use fan-out (a statement used twice) and x**y with a variable exponent. Where sympy's
simplify stops short (powers with a variable exponent: b**(2*x - 1) against b**(2*x)/b), the
difference is evaluated to 40 digits at a few points instead, where it must vanish.
"""

from __future__ import annotations

import math
import os

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

sympy = pytest.importorskip("sympy")

from gradcli.autodiff import evaluate  # noqa: E402
from gradcli.errors import DomainError  # noqa: E402
from gradcli.formulas import differentiate  # noqa: E402
from gradcli.gradcheck import kink  # noqa: E402
from gradcli.parser import parse  # noqa: E402

S = {name: sympy.Symbol(name, real=True) for name in ("x", "y", "z")}


def positive(text, e):
    return f"(1 + ({text})**2)", 1 + e**2


SMOOTH_UNARY = {
    "neg": lambda t, e: (f"-({t})", -e),
    "tanh": lambda t, e: (f"tanh({t})", sympy.tanh(e)),
    "sigmoid": lambda t, e: (f"sigmoid({t})", 1 / (1 + sympy.exp(-e))),
    "exp": lambda t, e: (f"exp({t})", sympy.exp(e)),
    "log": lambda t, e: (lambda p: (f"log{p[0]}", sympy.log(p[1])))(positive(t, e)),
    "sqrt": lambda t, e: (lambda p: (f"sqrt{p[0]}", sympy.sqrt(p[1])))(positive(t, e)),
    "sin": lambda t, e: (f"sin({t})", sympy.sin(e)),
    "cos": lambda t, e: (f"cos({t})", sympy.cos(e)),
    "square": lambda t, e: (f"({t})**2", e**2),
}
KINKED_UNARY = {
    "relu": lambda t, e: (f"relu({t})", sympy.Max(0, e)),
    "abs": lambda t, e: (f"abs({t})", sympy.Abs(e)),
}
SMOOTH_BINARY = {
    "add": lambda a, b: (f"({a[0]}) + ({b[0]})", a[1] + b[1]),
    "sub": lambda a, b: (f"({a[0]}) - ({b[0]})", a[1] - b[1]),
    "mul": lambda a, b: (f"({a[0]}) * ({b[0]})", a[1] * b[1]),
    "div": lambda a, b: (lambda p: (f"({a[0]}) / {p[0]}", a[1] / p[1]))(positive(*b)),
    "pow": lambda a, b: (lambda p: (f"{p[0]} ** ({b[0]})", p[1] ** b[1]))(positive(*a)),
}
KINKED_BINARY = {
    "max": lambda a, b: (f"max({a[0]}, {b[0]})", sympy.Max(a[1], b[1])),
    "min": lambda a, b: (f"min({a[0]}, {b[0]})", sympy.Min(a[1], b[1])),
}


@st.composite
def expressions(draw, env, unary, binary, depth=2):
    if depth == 0 or draw(st.integers(0, 3)) == 0:
        if draw(st.booleans()):
            name = draw(st.sampled_from(sorted(env)))
            return name, env[name]
        c = draw(st.sampled_from(["2", "3", "0.5", "1.5"]))
        return c, sympy.Rational(c)
    if draw(st.booleans()):
        return unary[draw(st.sampled_from(sorted(unary)))](*draw(expressions(env, unary, binary, depth - 1)))
    op = binary[draw(st.sampled_from(sorted(binary)))]
    return op(draw(expressions(env, unary, binary, depth - 1)), draw(expressions(env, unary, binary, depth - 1)))


@st.composite
def programs(draw, unary, binary):
    """Two statements; the second uses the first, possibly twice (fan-out)."""
    env = dict(S)
    first, e1 = draw(expressions(env, unary, binary))
    if not e1.free_symbols:
        first, e1 = f"({first}) * x", e1 * S["x"]
    env["s"] = e1
    second, e2 = draw(expressions(env, unary, binary))
    if draw(st.booleans()):
        second, e2 = f"({second}) * s + s", e2 * e1 + e1
    if not e2.free_symbols:
        second, e2 = f"({second}) + s", e2 + e1
    return f"s = {first}\nL = {second}", e2


def to_sympy(expr, node):
    """Our formula's nodes as a sympy expression, each number as the simplest rational that rounds to it (a folded 2/3.25 is 8/13),
    or, folded from an irrational (`(1 + 2**2)**0.5`), as the float it is."""
    functions = {
        "tanh": sympy.tanh, "exp": sympy.exp, "log": sympy.log, "sqrt": sympy.sqrt, "sin": sympy.sin,
        "cos": sympy.cos, "tan": sympy.tan, "abs": sympy.Abs, "sign": sympy.sign,
        "step": lambda a: sympy.Heaviside(a, 0), "relu": lambda a: sympy.Max(0, a), "log0": sympy.log,
        "sigmoid": lambda a: 1 / (1 + sympy.exp(-a)), "max": sympy.Max, "min": sympy.Min,
        "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
        "div": lambda a, b: a / b, "pow": lambda a, b: a**b, "neg": lambda a: -a,
    }  # fmt: skip
    done = {}
    for i in range(node + 1):
        op = expr.ops[i]
        if op == "var":
            done[i] = S[expr.values[i]]
        elif op == "const":
            v = expr.values[i]
            ratio = sympy.Rational(v).limit_denominator(10**6)
            done[i] = sympy.pi if v == math.pi else ratio if float(ratio) == v else sympy.Float(v, 40)
        else:
            done[i] = functions[op](*(done[a] for a in expr.args[i]))
    return done[node]


def vanishes(ours, theirs) -> bool:
    """ours - theirs is zero to 40 digits at a few points (to 12 digits of theirs where a number folded
    from an irrational, known to 16 digits only, is in ours), or, where those numbers do not settle it,
    sympy.simplify(ours - theirs) == 0 (tried last: on some expressions it takes minutes)."""
    difference = ours - theirs
    inexact = bool(ours.atoms(sympy.Float))
    tolerance = 1e-12 if inexact else 1e-25
    symbols = sorted(difference.free_symbols, key=str)
    for at in (0.3, -0.7, 1.1):
        subs = {sym: at + 0.13 * j for j, sym in enumerate(symbols)}
        value = difference.evalf(40, subs=subs)
        scale = 1 + abs(theirs.evalf(40, subs=subs))
        if not (value.is_number and abs(value) < tolerance * scale):
            return not inexact and sympy.simplify(difference) == 0
    return True
    tolerance = 1e-12 if inexact else 1e-25
    symbols = sorted(difference.free_symbols, key=str)
    for at in (0.3, -0.7, 1.1):
        subs = {sym: at + 0.13 * j for j, sym in enumerate(symbols)}
        value = difference.evalf(40, subs=subs)
        scale = 1 + abs(theirs.evalf(40, subs=subs))
        if not (value.is_number and abs(value) < tolerance * scale):
            return False
    return True


EXAMPLES = int(os.environ.get("GRADCLI_ORACLE_EXAMPLES", "30"))  # raise for a longer run


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs(SMOOTH_UNARY, SMOOTH_BINARY))
def test_smooth_programs_simplify_to_sympys_derivative(program):
    text, expr = program
    graph = parse(text)
    derivative = differentiate(graph, graph.output)
    for formula in derivative.formulas:
        ours = to_sympy(derivative.expr, formula.node)
        theirs = sympy.diff(expr, S[formula.wrt[0]])
        assert vanishes(ours, theirs), (text, formula.name, derivative.program())


point = st.floats(min_value=-2.0, max_value=2.0, allow_nan=False).filter(lambda v: abs(v) > 1e-3)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs(SMOOTH_UNARY | KINKED_UNARY, SMOOTH_BINARY | KINKED_BINARY), point, point, point)
def test_piecewise_programs_match_sympy_away_from_kinks(program, x, y, z):
    text, expr = program
    graph = parse(text)
    at = {"x": x, "y": y, "z": z}
    bindings = {n: at[n] for n in graph.variables}
    try:
        values = evaluate(graph, bindings)
    except DomainError:
        assume(False)
    assume(max(abs(v) for v in values) < 1e4)
    assume(not any(kink(graph, values, i) for i in range(len(graph.nodes))))
    derivative = differentiate(graph, graph.output)
    ours = derivative.values(bindings)
    subs = {S[n]: v for n, v in at.items()}
    for formula in derivative.formulas:
        theirs = float(sympy.diff(expr, S[formula.wrt[0]]).evalf(30, subs=subs))
        assume(math.isfinite(theirs))
        assert ours[formula.name] == pytest.approx(theirs, rel=1e-7, abs=1e-9), (text, derivative.program())
        # and the formula as sympy reads it, at the same point
        mine = float(to_sympy(derivative.expr, formula.node).evalf(30, subs=subs))
        assert mine == pytest.approx(theirs, rel=1e-7, abs=1e-9), (text, derivative.program())


@settings(max_examples=max(8, EXAMPLES // 4), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs(SMOOTH_UNARY, SMOOTH_BINARY))
def test_second_derivatives_simplify_to_sympys(program):
    text, expr = program
    graph = parse(text)
    derivative = differentiate(graph, graph.output, order=2)
    for formula in derivative.formulas:
        a, b = (S[v] for v in formula.wrt)
        ours = to_sympy(derivative.expr, formula.node)
        assert vanishes(ours, sympy.diff(expr, a, b)), (text, formula.name)


def test_variable_exponent_and_fan_out():
    text = "s = x**y\nL = s*s + sin(s)*z"
    x, y, z = S["x"], S["y"], S["z"]
    s = x**y
    expr = s * s + sympy.sin(s) * z
    graph = parse(text)
    derivative = differentiate(graph, graph.output)
    for formula in derivative.formulas:
        ours = to_sympy(derivative.expr, formula.node)
        assert sympy.simplify(ours - sympy.diff(expr, S[formula.wrt[0]])) == 0, formula.name
