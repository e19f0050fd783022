"""micrograd code runs unchanged: the constructor with children and op, subclasses, per-node
`_backward` (the lecture's step-by-step pass), user-defined ops, `pow`, micrograd's module paths,
`_prev` and `_op`, and `draw_dot(root, format, rankdir)` with and without Graphviz's `dot`.

micrograd 0.1.0 itself is the oracle wherever it has the idiom: the same code runs on both."""

from __future__ import annotations

import math
import random
import subprocess
import sys

import pytest

from gradcli import Value, draw_dot
from gradcli.render import INSTALL, RenderError
from gradcli.value import to_graph
from test_value import random_program

micrograd = pytest.importorskip("micrograd.engine")
MValue = micrograd.Value


# ---- the constructor: Value(data, _children, _op), and subclasses ---------------------------------


@pytest.mark.parametrize("cls", [Value, MValue], ids=["gradcli", "micrograd"])
def test_constructor_records_children_and_op(cls):
    a, b = cls(2.0), cls(3.0)
    c = cls(1.0, (a, b), "+")
    w = cls(0.5, _children=(), _op="weight")
    assert (c.data, c._prev, c._op) == (1.0, {a, b}, "+")
    assert (w.data, w._prev, w._op) == (0.5, set(), "weight")
    c.backward()  # no _backward was set: micrograd passes nothing on, and so does gradcli
    assert (c.grad, a.grad, b.grad) == (1, 0, 0)


def test_constructor_refuses_what_micrograd_would_crash_on_later():
    with pytest.raises(TypeError, match=r"_children must be Values, not 'a' \(a label is given as label='a'\)"):
        Value(2.0, "a")
    with pytest.raises(TypeError, match=r"_children must be Values, such as \(a, b\), not 5"):
        Value(2.0, 5)
    with pytest.raises(TypeError, match=r"_children must be Values, not \[1\]"):
        Value(2.0, ([1],))


def test_a_label_is_the_fourth_argument_as_in_the_lecture():
    a = Value(2.0, label="a")
    b = Value(3.0, (), "", "b")
    assert (a.label, b.label, a._op, b._prev) == ("a", "b", "", set())


def subclass_of(base):
    """A user's subclass of `base`, with micrograd's own `__add__` and `__mul__` written out."""

    class Tracked(base):
        def __init__(self, data, _children=(), _op="", note=""):
            super().__init__(data, _children, _op)
            self.note = note

        def __add__(self, other):
            other = other if isinstance(other, base) else Tracked(other)
            out = Tracked(self.data + other.data, (self, other), "+")

            def _backward():
                self.grad += out.grad
                other.grad += out.grad

            out._backward = _backward
            return out

        def __mul__(self, other):
            other = other if isinstance(other, base) else Tracked(other)
            out = Tracked(self.data * other.data, (self, other), "*")

            def _backward():
                self.grad += other.data * out.grad
                other.grad += self.data * out.grad

            out._backward = _backward
            return out

    return Tracked


def subclass_program(base, seed: int):
    """Subclass ops mixed with the base class's own ops, the same for both libraries."""
    Tracked = subclass_of(base)
    rng = random.Random(seed)
    leaves = [Tracked(rng.uniform(-2, 2), note=f"x{k}") for k in range(3)] + [base(rng.uniform(-2, 2))]
    x, y, z, w = leaves
    t = x * y + z  # the subclass's closures
    u = (t * 2 + w) * (w * x).relu()  # both: w * x is the base class's op on a base value
    out = u * t + x * x * 3
    return out, leaves


@pytest.mark.parametrize("seed", range(5))
def test_a_subclass_calling_super_init_differentiates_as_in_micrograd(seed):
    ours, our_leaves = subclass_program(Value, seed)
    theirs, their_leaves = subclass_program(MValue, seed)
    ours.backward()
    theirs.backward()
    assert ours.data == pytest.approx(theirs.data, rel=1e-12)
    assert [v.grad for v in our_leaves] == pytest.approx([v.grad for v in their_leaves], rel=1e-12, abs=1e-12)
    assert our_leaves[0].note == "x0" and our_leaves[0]._op == ""


# ---- _backward: one node's step, and user-defined ops ---------------------------------------------


def test_the_lectures_step_by_step_backward_pass():
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1 = x1 * w1
    x2w2 = x2 * w2
    x1w1x2w2 = x1w1 + x2w2
    n = x1w1x2w2 + b
    o = n.tanh()
    o.grad = 1.0
    o._backward()
    assert n.grad == pytest.approx(0.5)
    n._backward()
    b._backward()  # a leaf: nothing to pass on
    x1w1x2w2._backward()
    x2w2._backward()
    x1w1._backward()
    grads = {v.label: v.grad for v in (x1, x2, w1, w2, b)}
    assert grads == pytest.approx({"x1": -1.5, "x2": 0.5, "w1": 1.0, "w2": 0.0, "b": 0.5})


def lecture_backward(root) -> None:
    """The lecture's backward pass, written against `_prev` and `_backward` only."""
    topo, visited = [], set()

    def build_topo(v):
        if v not in visited:
            visited.add(v)
            for child in v._prev:
                build_topo(child)
            topo.append(v)

    build_topo(root)
    root.grad = 1.0
    for node in reversed(topo):
        node._backward()


@pytest.mark.parametrize("seed", range(20))
def test_the_lectures_backward_through_prev_and_backward_agrees_with_micrograd(seed):
    ours, our_leaves = random_program(Value, seed)
    theirs, their_leaves = random_program(MValue, seed)
    lecture_backward(ours)
    lecture_backward(theirs)
    assert [v.grad for v in our_leaves] == pytest.approx([v.grad for v in their_leaves], rel=1e-12, abs=1e-12)
    again, again_leaves = random_program(Value, seed)
    again.backward()  # gradcli's own pass gives the same
    assert [v.grad for v in again_leaves] == pytest.approx([v.grad for v in their_leaves], rel=1e-12, abs=1e-12)


def cube(cls, v):
    """A user-defined op, as micrograd's README teaches: build the value, set its _backward."""
    out = cls(v.data**3, (v,), "cube")

    def _backward():
        v.grad += 3 * v.data**2 * out.grad

    out._backward = _backward
    return out


def hypot(cls, a, b):
    """A user-defined op of two values."""
    out = cls(math.hypot(a.data, b.data), (a, b), "myop")

    def _backward():
        a.grad += a.data / out.data * out.grad
        b.grad += b.data / out.data * out.grad

    out._backward = _backward
    return out


@pytest.mark.parametrize("cls", [Value, MValue], ids=["gradcli", "micrograd"])
def test_a_user_defined_op_is_honoured_by_backward(cls):
    x, y = cls(1.5), cls(-2.0)
    h = hypot(cls, x, y)
    out = cube(cls, x) * 2 + h * x + y
    out.backward()
    r = math.hypot(1.5, -2.0)
    assert x.grad == pytest.approx(6 * 1.5**2 + r + 1.5 * 1.5 / r)
    assert y.grad == pytest.approx(1.5 * -2.0 / r + 1)
    assert (h._op, h._prev) == ("myop", {x, y})


@pytest.mark.slow
def test_user_defined_ops_at_any_depth_and_in_the_picture():
    x0 = x = Value(1.0)
    for _ in range(20_000):  # micrograd's recursive pass stops near 1,000
        x = cube(Value, x) * (1 / 3) + 2 / 3  # at 1: value 1, derivative 1
    x.backward()
    assert (x.data, x0.grad) == (pytest.approx(1.0), pytest.approx(1.0))
    y = cube(Value, Value(2.0, label="y"))
    y.backward()
    assert '[label="cube"' in draw_dot(y).source


def test_a_failing_user_backward_changes_no_grad():
    x = Value(2.0)
    out = Value(4.0, (x,), "boom")

    def _backward():
        x.grad += 1.0
        raise RuntimeError("my op failed")

    out._backward = _backward
    x.grad = 5.0
    with pytest.raises(RuntimeError, match="my op failed"):
        out.backward()
    assert (x.grad, out.grad) == (5.0, 0.0)


def test_setting_backward_on_a_computed_value_replaces_its_rule():
    a, b = Value(2.0), Value(3.0)
    c = a * b
    calls = []
    c._backward = lambda: calls.append(c.grad)
    (c * 4).backward()
    assert (calls, a.grad, b.grad, c._op, c._prev) == ([4.0], 0.0, 0.0, "*", {a, b})


# ---- pow, module paths, _prev and _op as micrograd's ----------------------------------------------


def test_pow_method():
    x, y = Value(3.0), Value(2.0)
    p = x.pow(2)
    q = x.pow(y)
    (p + q).backward()
    assert (p.data, q.data, p._op, q._op) == (9.0, 9.0, "**2", "**")
    assert x.grad == 12.0 and y.grad == pytest.approx(9 * math.log(3))
    assert (Value(1.0).max(Value(2.0)).data, Value(1.0).min(2).data) == (2.0, 1.0)


def test_micrograds_module_paths():
    code = (
        "from gradcli.engine import Value; from gradcli.nn import MLP, Neuron, Layer; import gradcli; "
        "assert Value is gradcli.Value; assert len(MLP(2, [16, 16, 1]).parameters()) == 337; print('ok')"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert (done.returncode, done.stdout, done.stderr) == (0, "ok\n", "")
    import gradcli.engine

    with pytest.raises(AttributeError, match="module 'gradcli.engine' has no attribute 'Valu'"):
        gradcli.engine.Valu  # noqa: B018


#: (expression, on either library's values x = 3 and y = 2): micrograd has each of these ops
MICROGRAD_OPS = {
    "x + y": lambda x, y: x + y,
    "x * y": lambda x, y: x * y,
    "x + 1": lambda x, y: x + 1,
    "2 * x": lambda x, y: 2 * x,
    "x ** 2": lambda x, y: x**2,
    "x ** -1": lambda x, y: x**-1,
    "x ** 0.5": lambda x, y: x**0.5,
    "x ** 1.5": lambda x, y: x**1.5,
    "relu(x)": lambda x, y: x.relu(),
}


@pytest.mark.parametrize("f", MICROGRAD_OPS.values(), ids=MICROGRAD_OPS.keys())
def test_op_and_prev_as_micrograd_writes_them(f):
    ours, theirs = f(Value(3.0), Value(2.0)), f(MValue(3.0), MValue(2.0))
    assert ours._op == theirs._op
    assert all(isinstance(v, Value) for v in ours._prev)  # a number used with a value shows as a Value,
    assert sorted(v.data for v in ours._prev) == sorted(v.data for v in theirs._prev)  # an exponent in the op


def test_constants_in_prev_are_values_without_grad_that_the_pass_ignores():
    x = Value(3.0)
    y = x * 2
    (c,) = [v for v in y._prev if v is not x]
    assert (c.data, c.grad, c._prev) == (2.0, 0.0, set())
    y.backward()
    assert x.grad == 2.0


# ---- draw_dot(root, format='svg', rankdir='LR') -----------------------------------------------------


def seed():
    a, b, c, f = (Value(v, label=k) for k, v in zip("abcf", (2.0, -3.0, 10.0, -2.0)))
    L = (a * b + c) * f
    L.backward()
    return L


def test_draw_dot_takes_micrograds_arguments():
    L = seed()
    by_keyword = draw_dot(L, format="svg", rankdir="LR")
    by_position = draw_dot(L, "png", "TB")
    assert (by_keyword.format, by_position.format) == ("svg", "png")
    assert "rankdir=LR" in by_keyword.source and "rankdir=TB" in by_position.source
    assert draw_dot(L).source == by_keyword.source


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        (("TB",), {}, r"format 'TB' is a direction; give rankdir='TB'"),
        (("svg", "XY"), {}, r"rankdir must be 'LR' \(left to right\) or 'TB' \(top to bottom\), not 'XY'"),
        ((), {"format": "nope"}, r"unknown format: 'nope'"),
    ],
    ids=["rankdir-as-format", "bad-rankdir", "bad-format"],
)
def test_draw_dot_refuses_a_misplaced_argument(args, kwargs, message):
    with pytest.raises(ValueError, match=message):
        draw_dot(seed(), *args, **kwargs)


@pytest.fixture
def no_dot(monkeypatch, tmp_path):
    """A PATH with no Graphviz on it, as on a fresh machine."""
    folder = tmp_path / "bin"
    folder.mkdir()
    monkeypatch.setenv("PATH", str(folder))


def test_a_notebook_shows_draw_dot_without_graphviz(no_dot):
    picture = draw_dot(seed())
    bundle = picture._repr_mimebundle_()
    assert list(bundle) == ["image/svg+xml"]
    svg = bundle["image/svg+xml"]
    assert svg.lstrip().startswith("<?xml") and svg.rstrip().endswith("</svg>")
    assert ">data &#45;8.0000<" in svg and ">grad 6.0000<" in svg
    assert picture._repr_svg_() == svg
    assert picture.pipe(format="svg").decode() == svg
    assert picture.pipe(format="svg", encoding="utf-8") == svg


def test_render_and_pipe_without_graphviz(no_dot, tmp_path):
    picture = draw_dot(seed())
    assert picture.render(tmp_path / "seed") == str(tmp_path / "seed.svg")
    assert (tmp_path / "seed.svg").read_text().rstrip().endswith("</svg>")
    assert (tmp_path / "seed").read_text() == picture.source  # graphviz saves the source next to it
    assert picture.render(outfile=tmp_path / "out.svg", cleanup=True) == str(tmp_path / "out.svg")
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["out.svg", "seed", "seed.svg"]
    assert picture.pipe(format="dot") == picture.source.encode()
    message = f"PNG needs Graphviz's dot program, which is not installed; install it with {INSTALL}"
    with pytest.raises(RenderError, match=message.replace("(", r"\(").replace(")", r"\)")):
        draw_dot(seed(), format="png").render(tmp_path / "p")
    with pytest.raises(RenderError, match="PDF needs Graphviz's dot program"):
        picture.pipe(format="pdf")
    assert not (tmp_path / "p.png").exists()


@pytest.mark.skipif(not __import__("shutil").which("dot"), reason="needs Graphviz's dot program")
def test_with_graphviz_it_is_graphviz_as_usual(tmp_path):
    picture = draw_dot(seed(), format="png")
    assert picture.pipe()[:8] == b"\x89PNG\r\n\x1a\n"
    assert picture.render(tmp_path / "g") == str(tmp_path / "g.png")
    assert picture.pipe(format="svg", encoding="utf-8").rstrip().endswith("</svg>")


def test_to_graph_of_a_user_defined_op_keeps_its_text():
    x = Value(2.0, label="x")
    y = cube(Value, x)
    graph, values, _ = to_graph(y)
    assert [(n.op, n.args) for n in graph.nodes] == [("var", ()), ("cube", (0,))]
    assert values == [2.0, 8.0]
