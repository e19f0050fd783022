"""Reverse mode that builds nodes (gradcli.symbolic) against the float engine, and its printed form.

Random programs over every op, with fan-out, are differentiated both ways: the adjoint nodes,
evaluated, give the engine's gradients. The printer's text, read back by the parser, computes
the same floats as the nodes it was written from. Sizes stay linear where a tree would explode.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from gradcli.autodiff import evaluate, gradients
from gradcli.errors import DomainError
from gradcli.formulas import differentiate, forward
from gradcli.parser import parse
from gradcli.printing import TEXT, Layout
from gradcli.symbolic import Expr, program_gradient, to_graph

UNARY = ["-({})", "tanh({})", "sigmoid({})", "relu({})", "exp({})", "log(1 + ({})**2)", "sqrt(2 + {})",
         "abs({})", "sin({})", "cos({})", "tan({}/3)", "sign({})", "step({})", "log0(({})**2)", "({})**2", "({})^3"]  # fmt: skip
BINARY = ["({}) + ({})", "({}) - ({})", "({}) * ({})", "({}) / (2 + ({})**2)", "(1 + ({})**2) ** ({})",
          "max({}, {})", "min({}, {})", "pow(2 + abs({}), {})"]  # fmt: skip


@st.composite
def expressions(draw, names, depth=3):
    if depth == 0 or draw(st.integers(0, 3)) == 0:
        return draw(st.sampled_from(names + ["0.5", "2", "3", "1.5"]))
    if draw(st.booleans()):
        return draw(st.sampled_from(UNARY)).format(draw(expressions(names, depth - 1)))
    form = draw(st.sampled_from(BINARY))
    return form.format(draw(expressions(names, depth - 1)), draw(expressions(names, depth - 1)))


@st.composite
def programs(draw):
    """Two to four statements; later ones use earlier ones, often more than once (fan-out)."""
    names, lines = ["x", "y", "z"], []
    count = draw(st.integers(2, 4))
    for k in range(count):
        name = f"s{k}" if k < count - 1 else "L"
        text = draw(expressions(names))
        if k and draw(st.booleans()):
            text = f"({text}) * {names[-1]} + {names[-1]}"  # the previous statement, used twice
        lines.append(f"{name} = {text}")
        names.append(name)
    return "\n".join(lines)


points = st.floats(min_value=-2.0, max_value=2.0, allow_nan=False).filter(lambda v: abs(v) > 1e-3)


def engine(graph, at):
    values = evaluate(graph, at)
    return values, gradients(graph, values)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(programs(), points, points, points)
def test_adjoint_nodes_give_the_engines_gradients(text, x, y, z):
    graph = parse(text)
    assume(graph.variables)
    at = {n: v for n, v in {"x": x, "y": y, "z": z}.items() if n in graph.variables} | graph.defaults()
    try:
        values, grads = engine(graph, at)
    except DomainError:
        assume(False)
    expected = {n: grads[i] for n, i in graph.variables.items()}
    assume(all(math.isfinite(g) and abs(g) < 1e12 for g in expected.values()))
    expr, _, nodes = program_gradient(graph, graph.output)
    roots = [(f"d_{n}", node) for n, node in nodes.items()]
    built, _ = to_graph(expr, roots)
    got = forward(built, {n: at[n] for n in built.variables})
    for name, _ in roots:
        assert got[built.named[name]] == pytest.approx(expected[name[2:]], rel=1e-9, abs=1e-12), (text, name)
    # and through the printed program, read back by the parser
    derivative = differentiate(graph, graph.output)
    printed = derivative.values(at)
    for f in derivative.formulas:
        assert printed[f.name] == pytest.approx(expected[f.wrt[0]], rel=1e-9, abs=1e-12), (text, derivative.program())


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs(), points, points, points)
def test_printed_text_computes_the_same_floats_as_its_nodes(text, x, y, z):
    """The printer writes the tree it is given: read back, every formula is the same float, bit for bit."""
    graph = parse(text)
    assume(graph.variables)
    derivative = differentiate(graph, graph.output)
    roots = [(f.name, f.node) for f in derivative.formulas]
    built, _ = to_graph(derivative.expr, roots)
    at = {"x": x, "y": y, "z": z} | graph.defaults()
    direct = forward(built, {n: at[n] for n in built.variables})
    printed = derivative.values(at)
    for name, _ in roots:
        a, b = direct[built.named[name]], printed[name]
        assert a == b or (math.isnan(a) and math.isnan(b)), (derivative.program(), name, a, b)


@pytest.mark.parametrize(
    "program,expected",
    [
        ("y = x**2*sin(x)", "dy_dx = x**2*cos(x) + 2*x*sin(x)"),
        ("y = x*0 + 3", "dy_dx = 0"),  # 0*u
        ("y = 1*x + 0", "dy_dx = 1"),  # 1*u, u + 0
        ("y = x**1", "dy_dx = 1"),  # u**1
        ("y = x**0", "dy_dx = 0"),  # x**0: 0, even at 0 (PyTorch)
        ("y = x - x + z", "dy_dx = 0\ndy_dz = 1"),  # u - u, like terms
        ("y = 2*x + x", "dy_dx = 3"),
        ("y = x*x", "dy_dx = 2*x"),
        ("y = x*x*x", "dy_dx = 3*x**2"),  # x*x -> x**2, x**2*x -> x**3
        ("y = -x*-z", "dy_dx = z\ndy_dz = x"),  # signs
        ("y = x/z", "dy_dx = 1/z\ndy_dz = -x/z**2"),
        ("y = exp(-x**2/2)", "dy_dx = -x*exp(-x**2/2)"),
        ("y = sigmoid(x)", "y = sigmoid(x)\ndy_dx = y*(1 - y)"),
        ("y = tanh(x)", "dy_dx = 1 - tanh(x)**2"),
        ("y = relu(x) + abs(x)", "dy_dx = sign(x) + step(x)"),
        ("y = max(x, z)", "t1 = sign(x - z)\ndy_dx = (t1 + 1)/2\ndy_dz = (1 - t1)/2"),
        ("y = 2**x", "dy_dx = 2**x*log(2)"),
        ("y = x**p", "dy_dx = p*x**(p - 1)\ndy_dp = x**p*log0(x)"),
        ("y = sqrt(x)", "dy_dx = 1/(2*sqrt(x))"),
        ("a = 2; y = a*x**2", "a = 2\ndy_da = x**2\ndy_dx = 2*x*a"),
        ("y = pi*x", "dy_dx = pi"),
        ("y = (x - 3)**2 + (z + 1)**2", "dy_dx = 2*(x - 3)\ndy_dz = 2*(z + 1)"),
        ("y = tanh(x/3)*2", "dy_dx = 2/3*(1 - tanh(x/3)**2)"),  # a recurring decimal as a fraction
        ("y = -3*(2*x*sin(x))", "dy_dx = -6*x*cos(x) - 6*sin(x)"),  # numbers of a product gathered
        ("y = log0(cos(x/3)**2)", "t1 = x/3\nt2 = cos(t1)\ndy_dx = -2/3*t2*(1/t2**2)*sin(t1)"),
    ],
)
def test_simplification_rules(program, expected):
    graph = parse(program)
    assert differentiate(graph, graph.output).program() == expected + "\n"


def test_parts_used_twice_are_named_and_the_output_keeps_its_name():
    graph = parse("o = tanh(x1*w1 + x2*w2 + b)")
    assert differentiate(graph, graph.output, ["w1", "b"]).program() == (
        "t1 = 1 - tanh(x1*w1 + x2*w2 + b)**2\ndo_dw1 = x1*t1\ndo_db = t1\n"
    )
    graph = parse("h = tanh(w*x); y = h*h + h")
    assert differentiate(graph, graph.output).program() == (
        "h = tanh(w*x)\nt1 = (2*h + 1)*(1 - h**2)\ndy_dw = x*t1\ndy_dx = w*t1\n"
    )


def test_second_order_names_and_symmetry():
    graph = parse("y = x**3*z + z**2")
    d = differentiate(graph, graph.output, order=2)
    assert [f.name for f in d.formulas] == ["d2y_dx2", "d2y_dxdz", "d2y_dz2"]
    assert d.program() == "d2y_dx2 = 6*x*z\nd2y_dxdz = 3*x**2\nd2y_dz2 = 2\n"
    d3 = differentiate(graph, graph.output, order=3)
    assert [f.name for f in d3.formulas] == ["d3y_dx3", "d3y_dx2dz", "d3y_dxdz2", "d3y_dz3"]
    graph = parse("y = x1*x1*x2")
    assert differentiate(graph, graph.output, order=2).formulas[0].name == "d2y_dx1dx1"


@pytest.mark.parametrize(
    "statement",
    ["x = x*1.0001 + 0.01", "x = tanh(x*1.0001 + 0.01)", "x = x*x + x", "x = sin(x)*x + 0.5", "x = x/(1 + x*x)"],
)
def test_a_long_chain_stays_linear(statement):
    """1,000 statements: the derivative's nodes and text grow with the program, never exponentially."""
    sizes = []
    for n in (250, 500, 1000):
        graph = parse("x = 0.5\n" + "\n".join([statement] * n))
        d = differentiate(graph, graph.output)
        sizes.append((len(d.expr), len(d.program())))
    (nodes, text), (most_nodes, most_text) = sizes[0], sizes[-1]
    # 4 times the statements: 4 times the nodes; the text a little more, as the names t1, ... grow a digit
    assert most_nodes <= 4.05 * nodes and most_text <= 4.6 * text, sizes
    assert most_nodes <= 25 * 1000 and most_text <= 250 * 1000, sizes
    assert max(len(line) for line in d.program().splitlines()) <= 200


def test_fan_out_is_shared_not_copied():
    """x used by every statement: a tree of the derivative would double at each; the DAG grows by a few nodes."""
    graph = parse("x1 = x*x + x\n" + "\n".join(f"x{k + 1} = x{k}*x{k} + x" for k in range(1, 60)))
    d = differentiate(graph, graph.output)
    assert len(d.expr) < 1000
    values = d.values({"x": 0.01})
    grads = gradients(graph, evaluate(graph, {"x": 0.01}))
    assert values["dx60_dx"] == pytest.approx(grads[graph.variables["x"]], rel=1e-12)


def test_the_expr_shares_equal_nodes():
    e = Expr()
    x, y = e.var("x"), e.var("y")
    assert e.make("mul", x, y) == e.make("mul", y, x)
    assert e.make("add", e.make("sin", x), y) == e.make("add", y, e.make("sin", x))
    assert e.make("sub", x, x) == e.const(0.0)
    assert e.const(0.0) != e.const(-0.0)


def test_layout_names_long_formulas():
    graph = parse("y = " + " + ".join(f"sin({k}*x)" for k in range(1, 40)))
    d = differentiate(graph, graph.output)
    lines = d.program().splitlines()
    assert len(lines) > 1 and all(len(line) < 2 * 100 + 20 for line in lines)
    assert Layout(d.expr, [(f.name, f.node) for f in d.formulas]).statements(TEXT)[-1][0] == "dy_dx"


def test_a_negated_product_inside_a_product_keeps_its_brackets():
    """`c*-(a*b)` must not be written `c*-a*b`, which reads back as `(c*-a)*b`: another rounding."""
    e = Expr()
    c, a, b = e.var("c"), e.var("a"), e.var("b")
    product = e._new(("test", 1), "mul", (a, b))  # made as it is, without the rules
    negated = e._new(("test", 2), "neg", (product,))
    assert Layout(e, [("r", e._new(("test", 3), "mul", (c, negated)))]).statements(TEXT) == [("r", "c*(-a*b)")]
    assert Layout(e, [("r", e._new(("test", 4), "div", (c, negated)))]).statements(TEXT) == [("r", "c/(-a*b)")]
    assert Layout(e, [("r", e._new(("test", 5), "mul", (negated, c)))]).statements(TEXT) == [("r", "-a*b*c")]
    graph = parse("s0 = x\nL = log0((cos(tan(x/3)))**2)")  # found by hypothesis: one bit apart
    derivative = differentiate(graph, graph.output)
    built, _ = to_graph(derivative.expr, [(f.name, f.node) for f in derivative.formulas])
    direct = forward(built, {"x": 0.5})[built.named["dL_dx"]]
    assert derivative.values({"x": 0.5})["dL_dx"] == direct
