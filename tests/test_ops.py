"""Every op's derivative against central finite differences, kinks and stable forms included.

The programs go through the whole pipeline (parser, engine) so that each op is checked as users
reach it. The finite differences are computed here from the op's forward function alone.
"""

from __future__ import annotations

import math

import pytest

from gradcli.autodiff import evaluate, gradients
from gradcli.ops import OPS
from gradcli.parser import parse

# (program, points): each point binds every variable of the program; none sits on a kink.
SMOOTH = {
    "add": ("x + y", [(1.5, -2.0), (-3.25, 0.5)]),
    "sub": ("x - y", [(1.5, -2.0), (0.0, 7.0)]),
    "mul": ("x * y", [(1.5, -2.0), (-0.3, 0.7)]),
    "div": ("x / y", [(1.5, -2.0), (-0.3, 0.7)]),
    "pow": ("x ** y", [(1.5, -2.0), (0.3, 0.7), (2.0, 3.0)]),
    "neg": ("-x", [(1.5,), (-0.25,)]),
    "id": ("y = x; y", [(1.5,), (-2.0,)]),
    "tanh": ("tanh(x)", [(0.3,), (-1.7,), (4.0,)]),
    "sigmoid": ("sigmoid(x)", [(0.3,), (-1.7,), (6.0,)]),
    "relu": ("relu(x)", [(0.3,), (-1.7,)]),
    "exp": ("exp(x)", [(0.3,), (-1.7,), (5.0,)]),
    "log": ("log(x)", [(0.3,), (1.7,), (50.0,)]),
    "sqrt": ("sqrt(x)", [(0.3,), (1.7,), (50.0,)]),
    "abs": ("abs(x)", [(0.3,), (-1.7,)]),
    "sin": ("sin(x)", [(0.3,), (-1.7,), (4.0,)]),
    "cos": ("cos(x)", [(0.3,), (-1.7,), (4.0,)]),
    "tan": ("tan(x)", [(0.3,), (-1.2,), (2.0,)]),
    "sign": ("sign(x)", [(0.3,), (-1.7,)]),
    "step": ("step(x)", [(0.3,), (-1.7,)]),
    "log0": ("log0(x)", [(0.3,), (1.7,), (50.0,)]),
    "max": ("max(x, y)", [(1.5, -2.0), (-3.0, 0.5)]),
    "min": ("min(x, y)", [(1.5, -2.0), (-3.0, 0.5)]),
}


def test_every_op_has_a_derivative_test():
    assert set(SMOOTH) == set(OPS)


def value_and_grads(program: str, point: tuple[float, ...]) -> tuple[float, dict[str, float]]:
    graph = parse(program)
    bindings = dict(zip(graph.variables, point))
    values = evaluate(graph, bindings)
    grads = gradients(graph, values)
    return values[graph.output], {n: grads[i] for n, i in graph.variables.items()}


def central_difference(program: str, point: tuple[float, ...], k: int) -> float:
    h = 1e-6 * max(1.0, abs(point[k]))
    up, down = list(point), list(point)
    up[k] += h
    down[k] -= h
    return (value_and_grads(program, tuple(up))[0] - value_and_grads(program, tuple(down))[0]) / (2 * h)


@pytest.mark.parametrize("op,program,point", [(op, prog, p) for op, (prog, points) in SMOOTH.items() for p in points])
def test_derivative_matches_central_difference(op, program, point):
    _, grads = value_and_grads(program, point)
    for k, name in enumerate(grads):
        numeric = central_difference(program, point, k)
        assert grads[name] == pytest.approx(numeric, rel=1e-6, abs=1e-7), (op, name)


def test_pow_with_variable_exponent_differentiates_in_both():
    _, grads = value_and_grads("x ** y", (2.0, 3.0))
    assert grads == {"x": 12.0, "y": pytest.approx(8.0 * math.log(2.0), rel=1e-15)}


def test_pow_with_constant_exponent_and_negative_base():
    value, grads = value_and_grads("x ** 2 + x ** 3", (-3.0,))
    assert value == -18.0
    assert grads == {"x": -6.0 + 27.0}


def one_sided(program: str, x: float) -> tuple[float, float]:
    h = 1e-7
    f = lambda v: value_and_grads(program, (v,))[0]
    return (f(x) - f(x - h)) / h, (f(x + h) - f(x)) / h


@pytest.mark.parametrize("program,convention", [("relu(x)", 0.0), ("abs(x)", 0.0), ("step(x)", 0.0)])
def test_kinks_follow_pytorch_and_lie_between_the_one_sided_slopes(program, convention):
    _, grads = value_and_grads(program, (0.0,))
    assert grads["x"] == convention
    left, right = one_sided(program, 0.0)
    assert min(left, right) - 1e-9 <= grads["x"] <= max(left, right) + 1e-9


@pytest.mark.parametrize("program", ["max(x, y)", "min(x, y)"])
def test_ties_split_the_gradient_evenly(program):
    _, grads = value_and_grads(program, (1.25, 1.25))
    assert grads == {"x": 0.5, "y": 0.5}


def test_max_of_a_value_with_itself_gets_the_whole_gradient():
    _, grads = value_and_grads("max(x, x)", (2.0,))
    assert grads == {"x": 1.0}


@pytest.mark.parametrize(
    "program,x,value,grad",
    [
        ("tanh(x)", 1000.0, 1.0, 0.0),
        ("tanh(x)", -1000.0, -1.0, 0.0),
        ("sigmoid(x)", -1000.0, 0.0, 0.0),
        ("sigmoid(x)", 1000.0, 1.0, 0.0),
        ("sigmoid(x)", 0.0, 0.5, 0.25),
        ("exp(x)", -1000.0, 0.0, 0.0),
    ],
)
def test_stable_forms_do_not_overflow(program, x, value, grad):
    got_value, grads = value_and_grads(program, (x,))
    assert got_value == value
    assert grads["x"] == grad


def test_fan_out_adds_up():
    # y = x*x + x: dy/dx = 2x + 1
    _, grads = value_and_grads("y = x*x + x", (3.0,))
    assert grads == {"x": 7.0}


def test_diamond_and_reused_intermediate():
    # u = x*y; v = u + x; L = u*v  -> dL/dx = y*v + u*(y + 1), dL/dy = x*v + u*x
    _, grads = value_and_grads("u = x*y; v = u + x; L = u*v", (2.0, 3.0))
    u, v = 6.0, 8.0
    assert grads == {"x": 3.0 * v + u * 4.0, "y": 2.0 * v + u * 2.0}


def test_array_table_agrees_with_float_table():
    np = pytest.importorskip("numpy")
    from gradcli.autodiff import Compiled
    from gradcli.ops import array_ops

    program = "L = tanh(x*y) + sigmoid(x) + relu(y) + exp(-x*x) + log(1 + y*y) + sqrt(1 + x*x) + abs(x)"
    program += " + sin(x) + cos(y) + tan(x/3) + max(x, y) + min(x, y) + x**2 + (1 + y*y)**x - x/(2 + y*y)"
    graph = parse(program)
    xs, ys = np.array([0.5, -1.25, 2.0]), np.array([1.5, 0.75, -0.5])
    batch = Compiled(graph, ops=array_ops())
    values = batch.forward(batch.values({"x": xs, "y": ys}))
    grads = batch.backward(values, graph.output)
    for k in range(3):
        scalar_values = evaluate(graph, {"x": float(xs[k]), "y": float(ys[k])})
        scalar_grads = gradients(graph, scalar_values)
        assert values[graph.output][k] == pytest.approx(scalar_values[graph.output], rel=1e-12)
        for name, i in graph.variables.items():
            assert grads[i][k] == pytest.approx(scalar_grads[i], rel=1e-12), name
