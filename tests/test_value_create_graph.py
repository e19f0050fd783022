"""`Value.backward(create_graph=True)`: grads as Values, differentiated again, against PyTorch in float64."""

from __future__ import annotations

import functools
import math

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from gradcli import Value
from gradcli.parser import parse
from gradcli.torchcheck import TORCH
from gradcli.value import _apply
from test_symbolic import programs

points = st.floats(min_value=-1.5, max_value=1.5, allow_nan=False).filter(lambda v: abs(v) > 0.05)


def build(graph, leaves: dict):
    """The program's output built from `leaves` (name -> Value or tensor) with `apply(op, *args)`."""
    made = []
    for node in graph.nodes:
        if node.op == "var":
            made.append(leaves[node.name])
        elif node.op == "const":
            made.append(node.value)
        else:
            made.append(leaves["__apply__"](node.op, *(made[a] for a in node.args)))
    return made[graph.output]


def torch_apply(torch):
    functions = {
        op: getattr(torch, f) if isinstance(f, str) else functools.partial(f, torch) for op, f in TORCH.items()
    }

    def apply(op, *args):
        args = [a if isinstance(a, torch.Tensor) else torch.tensor(a, dtype=torch.float64) for a in args]
        return functions[op](*args)

    return apply


def zero(*values: Value) -> None:
    for v in values:
        v.grad = 0.0


# ---- the idioms ------------------------------------------------------------------------------


def test_the_second_and_third_derivative_of_a_cube():
    x = Value(3.0)
    y = x**3
    y.backward(create_graph=True)
    g = x.grad
    assert isinstance(g, Value) and g.data == 27.0
    x.grad = 0.0
    g.backward(create_graph=True)
    h = x.grad
    assert isinstance(h, Value) and h.data == 18.0 and g.data == 27.0
    x.grad = 0.0
    h.backward()
    assert x.grad == 6.0


@pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True")
def test_grads_accumulate_as_in_pytorch_unless_zeroed():
    """Without zeroing, x.grad.backward() adds d2y/dx2 to dy/dx: PyTorch's 27 + 18 = 45."""
    torch = pytest.importorskip("torch")
    t = torch.tensor(3.0, dtype=torch.float64, requires_grad=True)
    (t**3).backward(create_graph=True)
    t.grad.backward()
    x = Value(3.0)
    (x**3).backward(create_graph=True)
    g = x.grad
    g.backward()
    assert x.grad.data == t.grad.item() == 45.0
    assert g.data == 27.0  # the grad that was differentiated keeps its value (PyTorch changes it in place)


def test_zero_grad_of_the_output_resets_every_grad_before_the_second_pass():
    x, w = Value(0.5, label="x"), Value(-1.5, label="w")
    L = (x * w).tanh() * x
    L.backward(create_graph=True)
    g = x.grad
    L.zero_grad()
    assert (x.grad, w.grad) == (0.0, 0.0)
    g.backward()
    t = math.tanh(-0.75)
    d2 = 2 * (1 - t * t) * -1.5 + x.data * (-2 * t * (1 - t * t)) * 1.5**2  # d2L/dx2 by hand
    assert x.grad == pytest.approx(d2, rel=1e-12)


def test_every_grad_is_a_value_and_a_constant_derivative_is_a_leaf():
    x = Value(2.0)
    y = 3 * x + 1
    y.backward(create_graph=True)
    assert isinstance(x.grad, Value) and isinstance(y.grad, Value)
    assert (x.grad.data, y.grad.data) == (3.0, 1.0)
    g = x.grad
    x.grad = 0.0
    g.backward()
    assert x.grad == 0.0  # d2y/dx2 = 0: the derivative 3 depends on nothing


def test_without_the_flag_grads_stay_floats_and_equal_the_flagged_pass():
    def program(x, y):
        return ((x * y).sigmoid() + (x - y) ** 2 / (1 + y.exp()) + x.relu() * y.max(x)).log()

    plain = [Value(0.7), Value(-0.2)]
    program(*plain).backward()
    assert all(type(v.grad) is float for v in plain)
    graphed = [Value(0.7), Value(-0.2)]
    program(*graphed).backward(create_graph=True)
    assert [v.grad.data for v in graphed] == pytest.approx([v.grad for v in plain], rel=1e-15)


def test_draw_dot_shows_the_numbers_of_grads_that_are_values():
    from gradcli import draw_dot

    x = Value(3.0, label="x")
    y = x**3
    y.backward(create_graph=True)
    source = draw_dot(y).source
    assert 'label="{ x | data 3.0000 | grad 27.0000 }"' in source


def test_a_micrograd_op_with_its_own_backward_cannot_be_differentiated_again():
    x = Value(2.0)
    out = Value(x.data**3, (x,), "cube")

    def _backward():
        x.grad += 3 * x.data**2 * out.grad

    out._backward = _backward
    y = out + x
    x.grad = 5.0
    with pytest.raises(TypeError, match=r"'cube' was made by Value\(data, children, op\) with its own _backward"):
        y.backward(create_graph=True)
    assert (x.grad, out.grad, y.grad) == (5.0, 0.0, 0.0)  # nothing changed
    y.backward()  # the float pass still runs it
    assert x.grad == 5.0 + 12.0 + 1.0


def test_a_micrograd_value_without_backward_passes_nothing_on():
    x = Value(2.0)
    y = Value(7.0, (x,), "opaque") + x * x
    y.backward(create_graph=True)
    assert x.grad.data == 4.0


def test_an_infinite_local_derivative_is_inf_as_in_the_float_pass():
    x = Value(0.0)
    x.sqrt().backward(create_graph=True)
    assert x.grad.data == math.inf


def test_a_deep_chain_needs_no_recursion():
    x0 = x = Value(0.5)
    for _ in range(10_000):  # ten times Python's recursion limit
        x = x * 1.0001 + 0.01 * x.tanh()
    x.backward(create_graph=True)
    g = x0.grad
    x0.grad = 0.0
    g.backward()
    assert math.isfinite(x0.grad)


def test_kinks_follow_pytorch():
    torch = pytest.importorskip("torch")
    apply = torch_apply(torch)
    for text, at in [
        ("L = relu(x)*x + abs(y)*y", {"x": 0.0, "y": 0.0}),
        ("L = max(x, y)**2 + min(x*x, y)", {"x": 1.0, "y": 1.0}),
        ("L = max(x*x, y) + x**2.5*y", {"x": 1.0, "y": 1.0}),
    ]:
        graph = parse(text)
        mine, theirs = hessian_rows(graph, at), torch_rows(torch, apply, graph, at)
        assert mine == theirs, text


# ---- against PyTorch on random programs -----------------------------------------------------------


def hessian_rows(graph, at):
    """(gradient, Hessian) by create_graph=True and a second backward() per variable."""
    names = list(graph.variables)
    leaves = {n: Value(at[n]) for n in names}
    out = build(graph, leaves | {"__apply__": _apply})
    out = out if isinstance(out, Value) else Value(out)  # a program of numbers alone
    out.backward(create_graph=True)
    first = [leaves[n].grad if isinstance(leaves[n].grad, Value) else Value(0.0) for n in names]  # or not in the graph
    rows = []
    for g in first:
        zero(*leaves.values())
        g.backward()
        rows.append([leaves[n].grad for n in names])
    return [g.data for g in first], rows


def torch_rows(torch, apply, graph, at, order=2):
    names = list(graph.variables)
    leaves = {n: torch.tensor(at[n], dtype=torch.float64, requires_grad=True) for n in names}
    inputs = [leaves[n] for n in names]
    out = build(graph, leaves | {"__apply__": apply})
    if not out.requires_grad:
        return [0.0] * len(names), [[0.0] * len(names) for _ in names]
    first = torch.autograd.grad(out, inputs, create_graph=True, allow_unused=True)
    rows = []
    for g in first:
        if g is None or not g.requires_grad:
            rows.append([0.0] * len(names))
            continue
        second = torch.autograd.grad(g, inputs, retain_graph=True, allow_unused=True)
        rows.append([0.0 if s is None else s.item() for s in second])
    return [0.0 if g is None else g.item() for g in first], rows


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(programs(), points, points, points)
def test_random_programs_against_pytorch(text, x, y, z):
    torch = pytest.importorskip("torch")
    graph = parse(text)
    assume(graph.variables)
    at = {n: v for n, v in {"x": x, "y": y, "z": z}.items() if n in graph.variables} | graph.defaults()
    try:
        mine = hessian_rows(graph, at)
    except (ArithmeticError, ValueError):
        assume(False)  # outside the program's domain
    theirs = torch_rows(torch, torch_apply(torch), graph, at)
    assume(all(math.isfinite(v) and abs(v) < 1e8 for v in theirs[0] + sum(theirs[1], [])))
    assert mine[0] == pytest.approx(theirs[0], rel=1e-9, abs=1e-9), text
    for row, expected in zip(mine[1], theirs[1]):
        assert row == pytest.approx(expected, rel=1e-9, abs=1e-9), text


def test_third_order_against_pytorch():
    torch = pytest.importorskip("torch")
    at = {"x": 0.7, "y": -0.4}

    def program(x, y, apply):
        t = apply("tanh", apply("mul", x, y))
        return apply("add", apply("mul", t, apply("pow", x, 3.0)), apply("div", apply("exp", y), apply("add", x, 2.0)))

    x, y = Value(at["x"]), Value(at["y"])
    program(x, y, _apply).backward(create_graph=True)
    gx = x.grad
    zero(x, y)
    gx.backward(create_graph=True)
    gxx, gxy = x.grad, y.grad
    mine = []
    for g in (gxx, gxy):
        zero(x, y)
        g.backward()
        mine.append([x.grad, y.grad])

    tx, ty = (torch.tensor(at[n], dtype=torch.float64, requires_grad=True) for n in "xy")
    apply = torch_apply(torch)
    (first,) = torch.autograd.grad(program(tx, ty, apply), tx, create_graph=True)
    second = torch.autograd.grad(first, (tx, ty), create_graph=True)
    theirs = [[t.item() for t in torch.autograd.grad(s, (tx, ty), retain_graph=True)] for s in second]
    assert mine == [pytest.approx(row, rel=1e-12) for row in theirs]
