"""`gradcli.Value`: micrograd's interface, hand-checked numbers, agreement with micrograd, the
parser and the engine, any depth, and how errors and repeated backward passes behave."""

from __future__ import annotations

import math
import random
import subprocess
import sys

import pytest

from gradcli import Value, draw_dot
from gradcli.autodiff import Compiled, compiled, evaluate, gradients
from gradcli.parser import parse
from gradcli.value import RULES, graph_order, to_graph
from gradcli.views.dot import digraph


def seed_graph():
    """micrograd's first example: e = a*b; d = e + c; L = d*f."""
    a, b, c, f = Value(2.0, label="a"), Value(-3.0, label="b"), Value(10.0, label="c"), Value(-2.0, label="f")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    L = d * f
    L.label = "L"
    return L, {"a": a, "b": b, "c": c, "f": f, "e": e, "d": d, "L": L}


def test_seed_example_values_and_grads():
    L, v = seed_graph()
    L.backward()
    assert {k: x.data for k, x in v.items()} == {"a": 2, "b": -3, "c": 10, "f": -2, "e": -6, "d": 4, "L": -8}
    assert {k: x.grad for k, x in v.items()} == {"a": 6, "b": -4, "c": -2, "f": 4, "e": -2, "d": -2, "L": 1}


def neuron(tanh_by_exp: bool = False):
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.881373587019543, label="b")
    n = x1 * w1 + x2 * w2 + b
    if tanh_by_exp:
        e = (2 * n).exp()
        o = (e - 1) / (e + 1)
    else:
        o = n.tanh()
    o.backward()
    return o, {"x1": x1, "x2": x2, "w1": w1, "w2": w2, "b": b}


@pytest.mark.parametrize("tanh_by_exp", [False, True], ids=["tanh", "tanh-as-exp"])
def test_neuron_matches_the_reference_results(tanh_by_exp):
    o, leaves = neuron(tanh_by_exp)
    assert o.data == pytest.approx(1 / math.sqrt(2))
    expected = {"x1": -1.5, "x2": 0.5, "w1": 1.0, "w2": 0.0, "b": 0.5}
    assert {k: v.grad for k, v in leaves.items()} == pytest.approx(expected)


X = 3.0
SIG = 1 / (1 + math.exp(-X))
#: (written as, f(x), value, d/dx), with the derivative worked out by hand
CASES = [
    ("x + 2", lambda x: x + 2, 5.0, 1.0),
    ("2 + x", lambda x: 2 + x, 5.0, 1.0),
    ("x - 2", lambda x: x - 2, 1.0, 1.0),
    ("2 - x", lambda x: 2 - x, -1.0, -1.0),
    ("x * 2", lambda x: x * 2, 6.0, 2.0),
    ("2 * x", lambda x: 2 * x, 6.0, 2.0),
    ("x / 2", lambda x: x / 2, 1.5, 0.5),
    ("2 / x", lambda x: 2 / x, 2 / 3, -2 / 9),
    ("x ** 2", lambda x: x**2, 9.0, 6.0),
    ("x ** -1", lambda x: x**-1, 1 / 3, -1 / 9),
    ("2 ** x", lambda x: 2**x, 8.0, 8 * math.log(2)),
    ("x ** x", lambda x: x**x, 27.0, 27 * (1 + math.log(3))),
    ("x * x + x", lambda x: x * x + x, 12.0, 7.0),
    ("-x", lambda x: -x, -3.0, -1.0),
    ("abs(-x)", lambda x: abs(-x), 3.0, 1.0),
    ("relu(x)", lambda x: x.relu(), 3.0, 1.0),
    ("relu(-x)", lambda x: (-x).relu(), 0.0, 0.0),
    ("relu(x - 3) (kink: 0)", lambda x: (x - 3).relu(), 0.0, 0.0),
    ("tanh(x)", lambda x: x.tanh(), math.tanh(X), 1 - math.tanh(X) ** 2),
    ("sigmoid(x)", lambda x: x.sigmoid(), SIG, SIG * (1 - SIG)),
    ("exp(x)", lambda x: x.exp(), math.exp(X), math.exp(X)),
    ("log(x)", lambda x: x.log(), math.log(X), 1 / 3),
    ("sqrt(x)", lambda x: x.sqrt(), math.sqrt(X), 1 / (2 * math.sqrt(X))),
    ("sin(x)", lambda x: x.sin(), math.sin(X), math.cos(X)),
    ("cos(x)", lambda x: x.cos(), math.cos(X), -math.sin(X)),
    ("tan(x)", lambda x: x.tan(), math.tan(X), 1 / math.cos(X) ** 2),
]


@pytest.mark.parametrize(("f", "value", "grad"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_operation_with_numbers_on_either_side(f, value, grad):
    x = Value(X)
    y = f(x)
    y.backward()
    assert isinstance(y, Value)
    assert y.data == pytest.approx(value, rel=1e-12)
    assert x.grad == pytest.approx(grad, rel=1e-12)


def test_numbers_are_constants_without_a_grad_and_ints_become_floats():
    x = Value(2)
    y = 3 * x + 1
    y.backward()
    assert (x.data, x.grad, y.data) == (2.0, 3.0, 7.0)
    assert isinstance(x.data, float)
    graph, _, grads = to_graph(y)
    assert [(n.op, n.value) for n in graph.nodes if n.op == "const"] == [("const", 3.0), ("const", 1.0)]


def test_non_numbers_are_refused_like_any_python_number_type():
    with pytest.raises(TypeError, match="unsupported operand"):
        Value(1.0) + "2"
    with pytest.raises(TypeError):
        [1] * Value(2.0)


def test_backward_twice_accumulates_exactly_and_zero_grad_resets():
    x = Value(3.0)
    y = (x * x) * 3  # an intermediate node: micrograd would compound it (x.grad 54, not 36)
    y.backward()
    assert x.grad == 18.0
    y.backward()
    assert (x.grad, y.grad) == (36.0, 2.0)
    y.zero_grad()
    assert [v.grad for v in graph_order([y])] == [0.0, 0.0, 0.0]
    y.backward()
    assert x.grad == 18.0


def test_a_value_used_on_both_sides_adds_both_paths():
    a = Value(-2.0)
    b = Value(3.0)
    d = a * b
    e = a + b
    f = d * e
    f.backward()
    assert (a.grad, b.grad) == (-3.0, -8.0)  # de/da*d + dd/da*e = 1*-6 + 3*1 ; 1*-6 + -2*1


# ---- against micrograd itself ------------------------------------------------------------------


def random_program(value_class, seed: int):
    """A random expression over micrograd's operations, the same for any value class and seed."""
    rng = random.Random(seed)
    leaves = [value_class(rng.uniform(-2, 2)) for _ in range(4)]
    pool = list(leaves)
    steps = [
        lambda a, b: a + b,
        lambda a, b: a - b,
        lambda a, b: a * b,
        lambda a, b: a * 0.5 + 1.5,
        lambda a, b: 2.0 - a,
        lambda a, b: a / (b * b + 1),
        lambda a, b: (a * b).relu(),
        lambda a, b: a**2 - b**3,
        lambda a, b: -a,
    ]
    for _ in range(15):
        pool.append(rng.choice(steps)(rng.choice(pool), rng.choice(pool)))
    return sum(pool[-4:]), leaves


@pytest.mark.parametrize("seed", range(30))
def test_agrees_with_micrograd_on_random_programs(seed):
    micrograd = pytest.importorskip("micrograd.engine")
    ours, our_leaves = random_program(Value, seed)
    theirs, their_leaves = random_program(micrograd.Value, seed)
    ours.backward()
    theirs.backward()
    assert ours.data == pytest.approx(theirs.data, rel=1e-12, abs=1e-12)
    assert [v.grad for v in our_leaves] == pytest.approx([v.grad for v in their_leaves], rel=1e-12, abs=1e-12)


# ---- any depth ---------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_200000_step_chain_differentiates_without_recursion():
    x0 = x = Value(0.5)
    for _ in range(200_000):
        x = x * 1.0001 + 0.01
    x.backward()
    assert x0.grad == pytest.approx(1.0001**200_000, rel=1e-9)
    del x  # freeing a deep chain must not crash either


def test_a_deep_chain_converts_to_a_graph():
    x = Value(1.0, label="x")
    for _ in range(50_000):
        x = x.tanh()
    graph, values, _ = to_graph(x)
    assert len(graph) == 50_001
    assert [n.args for n in graph.nodes[:3]] == [(), (0,), (1,)]
    assert values[-1] == pytest.approx(x.data)


def test_a_failing_backward_pass_changes_nothing_and_leaves_the_graph_usable(monkeypatch):
    def fails(x, out):
        raise ZeroDivisionError("float division by zero")

    monkeypatch.setattr(RULES["sqrt"], "da", fails)  # a local derivative that raises (none of the table's does)
    x = Value(0.0)
    y = x.sqrt() + x
    x.grad = 5.0
    with pytest.raises(ZeroDivisionError, match="the derivative of sqrt is infinite or undefined at 0.0"):
        y.backward()
    assert [v.grad for v in graph_order([y])] == [5.0, 0.0, 0.0]
    z = x * 2
    z.backward()
    assert x.grad == 7.0


def test_an_infinite_or_undefined_derivative_is_inf_or_nan_as_in_pytorch():
    x = Value(0.0)
    x.sqrt().backward()
    assert x.grad == math.inf  # torch.sqrt at 0: grad inf
    x = Value(0.0)
    (x**0).backward()
    assert x.grad == 0.0  # torch: x**0 at 0 has grad 0
    x = Value(0.0)
    (x**0.5).backward()
    assert x.grad == math.inf


@pytest.mark.parametrize(
    ("f", "error", "message"),
    [
        (lambda: Value(-1.0).log(), ValueError, r"log: log needs a positive argument \(got -1.0\)"),
        (lambda: Value(1.0) / 0, ZeroDivisionError, r"div: division by zero \(got 1.0 and 0.0\)"),
        (lambda: 1 / Value(0.0), ZeroDivisionError, r"div: division by zero \(got 1.0 and 0.0\)"),
        (lambda: Value(-8.0) ** 0.5, ValueError, r"pow: a negative number to a fractional power is complex"),
        (lambda: Value(1000.0).exp(), OverflowError, r"exp: overflow: the result is too large for a float"),
    ],
    ids=["log", "div", "rdiv", "pow", "exp"],
)
def test_a_failing_operation_names_itself_and_its_arguments(f, error, message):
    with pytest.raises(error, match=message):
        f()


# ---- the same graph as a parsed program ---------------------------------------------------------


def parsed(text: str, bindings: dict) -> tuple[dict, dict]:
    graph = parse(text)
    values = evaluate(graph, bindings)
    grads = gradients(graph, values)
    names = graph.variables | graph.named
    return {n: values[i] for n, i in names.items()}, {n: grads[i] for n, i in names.items()}


def converted(output: Value) -> tuple[dict, dict]:
    graph, values, grads = to_graph(output)
    names = graph.variables | graph.named
    return {n: values[i] for n, i in names.items()}, {n: grads[i] for n, i in names.items()}


def test_value_graph_agrees_with_the_parsed_program():
    L, _ = seed_graph()
    L.backward()
    assert converted(L) == parsed("e=a*b; d=e+c; L=d*f", {"a": 2, "b": -3, "c": 10, "f": -2})


def test_value_graph_has_the_parsed_programs_nodes():
    L, _ = seed_graph()
    ours, _, _ = to_graph(L)
    theirs = parse("e=a*b; d=e+c; L=d*f")
    assert [(n.op, n.args, n.name) for n in ours.nodes] == [(n.op, n.args, n.name) for n in theirs.nodes]
    assert (ours.variables, ours.named, ours.output) == (theirs.variables, theirs.named, theirs.output)


@pytest.mark.parametrize("tanh_by_exp", [False, True], ids=["tanh", "tanh-as-exp"])
def test_neuron_agrees_with_the_parsed_program(tanh_by_exp):
    o, _ = neuron(tanh_by_exp)
    n = "x1*w1 + x2*w2 + b"
    text = f"o = (exp(2*({n})) - 1)/(exp(2*({n})) + 1)" if tanh_by_exp else f"o = tanh({n})"
    bindings = {"x1": 2, "x2": 0, "w1": -3, "w2": 1, "b": 6.881373587019543}
    values, grads = converted(o)
    theirs_values, theirs_grads = parsed(text, bindings)
    assert values.keys() - {"v1"} == theirs_values.keys() - {"o"}  # o is unnamed on the Value side
    assert {k: values[k] for k in bindings} == pytest.approx({k: theirs_values[k] for k in bindings})
    assert {k: grads[k] for k in bindings} == pytest.approx({k: theirs_grads[k] for k in bindings})


@pytest.mark.parametrize("seed", range(10))
def test_the_engine_run_on_a_converted_graph_gives_the_same_grads(seed):
    out, _ = random_program(Value, seed)
    out = out.tanh() * out.sigmoid() + (out * out + 1).log()
    out.backward()
    graph, values, grads = to_graph(out)
    program = Compiled(graph)
    engine_values = program.forward(program.values({n: values[i] for n, i in graph.variables.items()}))
    engine_grads = program.backward(engine_values, graph.output)
    assert engine_values == pytest.approx(values, rel=1e-12)
    assert [g for g, n in zip(engine_grads, graph.nodes) if n.op != "const"] == pytest.approx(
        [g for g, n in zip(grads, graph.nodes) if n.op != "const"], rel=1e-12, abs=1e-12
    )


def test_names_for_the_graph():
    x, y = Value(1.0), Value(2.0)
    a1, a2 = Value(3.0, label="a"), Value(4.0, label="a")
    v1 = Value(5.0, label="v1")  # a label a fresh name must not take
    s = x * y + a1 * a2 + v1
    s.label = "s"
    graph, _, _ = to_graph(s)
    assert list(graph.variables) == ["v2", "v3", "a", "a_2", "v1"]
    assert graph.named == {"s": graph.output}
    assert graph.labels()[graph.output] == "s"


def test_to_graph_takes_several_outputs_and_the_last_is_the_graphs_output():
    x = Value(2.0, label="x")
    y = x * x
    y.label = "y"
    z = y + 1
    z.label = "z"
    graph, values, _ = to_graph(z, y)
    assert graph.output == graph.named["y"]
    assert values[graph.named["z"]] == 5.0


# ---- drawing -----------------------------------------------------------------------------------


@pytest.mark.parametrize("options", [{}, {"rankdir": "TB", "precision": 2}], ids=["default", "TB-2"])
def test_draw_dot_is_the_same_picture_as_gradcli_graph(gradcli, options):
    L, _ = seed_graph()
    L.backward()
    flags = [f for k, v in options.items() for f in (f"--{k}", str(v))]
    r = gradcli("graph", "e=a*b; d=e+c; L=d*f", "--a", "2", "--b", "-3", "--c", "10", "--f", "-2", *flags)
    assert r.exit_code == 0, r.stderr
    assert draw_dot(L, **options).source == r.stdout


def test_draw_dot_is_the_same_picture_as_the_parsed_program():
    L, _ = seed_graph()
    L.backward()
    graph = parse("e=a*b; d=e+c; L=d*f")
    values = evaluate(graph, {"a": 2, "b": -3, "c": 10, "f": -2})
    picture = digraph(graph, values, gradients(graph, values), depends=compiled(graph).depends)
    assert draw_dot(L).source == picture.source


def test_draw_dot_shows_a_number_as_a_constant_without_a_grad():
    x = Value(3.0, label="x")
    y = x * x + 1
    y.backward()
    source = draw_dot(y, rankdir="TB").source
    assert 'label="x | data 3.0000 | grad 6.0000"' in source
    assert 'label="1 | data 1.0000 | grad —"' in source
    assert source.count("v0 -> o1") == 2  # x*x: two edges


# ---- micrograd's surface -----------------------------------------------------------------------


def test_repr_and_micrograds_internals():
    a = Value(2.0, label="a")
    b = a * 3
    assert repr(Value(2)) == "Value(data=2.0, grad=0.0)"
    assert repr(a) == "Value(data=2.0, grad=0.0, label='a')"
    assert (b._op, a._op, a._prev) == ("*", "", set())
    assert [v for v in b._prev if v is not a][0].data == 3.0  # a number shows as a Value, as in micrograd
    assert (a + a)._prev == {a}


def test_importing_gradcli_loads_neither_numpy_nor_graphviz():
    code = (
        "import sys, gradcli; from gradcli import Value; Value(1.0) * 2; "
        "print(sorted(m for m in ('numpy', 'graphviz', 'gradcli.engine') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out == "[]\n"
