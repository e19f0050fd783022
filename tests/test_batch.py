"""`gradcli.batch`: one program over many rows, checked row by row against the float engine, finite
differences and PyTorch; failing rows are NaN without touching the others; chunking; kinks by edge."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gradcli.autodiff import evaluate as scalar_evaluate
from gradcli.autodiff import gradients
from gradcli.batch import Batch, evaluate
from gradcli.errors import DomainError, InputError, UnboundVariable
from gradcli.ops import OPS, array_ops
from gradcli.parser import parse

NEURON = "o = tanh(x1*w1 + x2*w2 + b)"


def scalar(program: str, row: dict[str, float]) -> dict[str, float] | None:
    """The float engine's value and gradients at one row, named like evaluate's columns (None if it fails)."""
    graph = parse(program)
    label = graph.labels()[graph.output]
    try:
        values = scalar_evaluate(graph, row)
        grads = gradients(graph, values)
    except DomainError:
        return None
    return {label: values[graph.output]} | {f"d{label}/d{n}": grads[i] for n, i in graph.variables.items()}


def test_the_neuron_row_by_row_equals_the_float_engine():
    rng = np.random.default_rng(7)
    columns = {name: rng.normal(size=50) for name in ("x1", "x2", "w1", "w2", "b")}
    out = evaluate(NEURON, columns)
    assert list(out) == ["o", "do/dx1", "do/dw1", "do/dx2", "do/dw2", "do/db"]
    for k in range(50):
        expected = scalar(NEURON, {n: float(c[k]) for n, c in columns.items()})
        assert {n: float(v[k]) for n, v in out.items()} == pytest.approx(expected, rel=1e-13, abs=1e-15)


def test_the_seed_example_and_numbers_that_bind_every_row():
    out = evaluate("L = (a*b + c)*f", {"a": np.array([2.0, 1.0]), "b": -3.0, "c": np.array([10.0, 0.0]), "f": -2.0})
    assert out["L"].tolist() == [-8.0, 6.0]
    assert out["dL/da"].tolist() == [6.0, 6.0]
    assert out["dL/db"].tolist() == [-4.0, -2.0]
    assert out["dL/dc"].tolist() == [-2.0, -2.0]
    assert out["dL/df"].tolist() == [4.0, -3.0]


def test_program_defaults_fill_the_variables_not_given():
    out = evaluate("a = 2\ny = a*x", {"x": np.array([1.0, 3.0])})
    assert out["y"].tolist() == [2.0, 6.0] and out["dy/da"].tolist() == [1.0, 3.0]


def test_a_failing_row_is_nan_and_the_others_are_untouched():
    x = np.array([4.0, -1.0, 0.0, 9.0])
    out = evaluate("y = log(x) + sqrt(x)", {"x": x})
    assert out["y"][[0, 3]].tolist() == [math.log(4) + 2, math.log(9) + 3]
    assert np.isnan(out["y"][[1, 2]]).all() and np.isnan(out["dy/dx"][[1, 2]]).all()
    assert out["dy/dx"][[0, 3]].tolist() == [0.25 + 0.25, 1 / 9 + 1 / 6]


def test_an_undefined_gradient_keeps_the_value_and_the_other_gradients():
    out = evaluate("y = x**p", {"x": np.array([0.0, 8.0]), "p": np.array([1 / 3, 1 / 3])})
    assert out["y"].tolist() == [0.0, 2.0]
    assert np.isnan(out["dy/dx"][0]) and out["dy/dx"][1] == pytest.approx(1 / 12)
    assert out["dy/dp"][0] == 0.0  # x**y * log(x) is 0 at x = 0 (PyTorch)


def test_kinks_follow_the_float_engine():
    out = evaluate("y = relu(x) + abs(x) + max(x, z)", {"x": np.array([0.0, 0.0]), "z": np.array([0.0, 1.0])})
    assert out["dy/dx"].tolist() == [0.5, 0.0]
    assert out["dy/dz"].tolist() == [0.5, 1.0]


def test_overflow_is_a_failing_row():
    out = evaluate("y = exp(x)", {"x": np.array([1.0, 1000.0])})
    assert out["y"][0] == math.e and np.isnan(out["y"][1])


def test_of_differentiates_another_named_node():
    out = evaluate("u = x*x; y = u + x", {"x": np.array([3.0])}, of="u")
    assert out == {"u": [9.0], "du/dx": [6.0]}


def test_a_row_count_of_zero():
    out = evaluate(NEURON, {n: np.empty(0) for n in ("x1", "x2", "w1", "w2", "b")})
    assert all(len(v) == 0 for v in out.values()) and len(out) == 6


def test_bad_columns_are_input_errors():
    with pytest.raises(InputError, match="z is not a variable"):
        evaluate("y = x", {"x": np.ones(2), "z": np.ones(2)})
    with pytest.raises(InputError, match="different lengths"):
        evaluate("y = x*z", {"x": np.ones(2), "z": np.ones(3)})
    with pytest.raises(UnboundVariable, match="z"):
        evaluate("y = x*z", {"x": np.ones(2)})


def test_chunks_cover_every_row_once(monkeypatch):
    monkeypatch.setattr("gradcli.batch.MAX_CHUNK", 1024)
    x = np.linspace(-3, 3, 5000)
    batch = Batch(parse("y = x*x"))
    assert batch.chunk_rows == 1024
    starts = [start for start, _ in batch.chunks({"x": x})]
    assert starts == [0, 1024, 2048, 3072, 4096]
    assert np.array_equal(evaluate("y = x*x", {"x": x})["dy/dx"], 2 * x)


def test_a_big_program_gets_smaller_chunks():
    program = "x0 = x\n" + "\n".join(f"x{k} = x{k - 1}*1.0001 + 0.01" for k in range(1, 5_000))
    assert Batch(parse(program)).chunk_rows == 1024


def test_why_a_row_failed_comes_from_the_float_path():
    batch = Batch(parse("y = log(x - 3)"))
    chunk = batch.run({"x": np.array([5.0, 1.0, np.nan])})
    assert chunk.failed.tolist() == [False, True, True]
    assert batch.why(chunk, 1) == "log(x - 3) at line 1, column 5: log needs a positive argument (got -2)"
    assert batch.why(chunk, 2) == "x has no value (an empty cell or nan)"


def test_every_kink_is_described_once_by_its_side_and_serves_arrays():
    for op in OPS.values():
        if op.kink is not None:
            args = (0.0,) * op.arity
            assert op.kink.side(*args) == 0 and op.kink.side(*((1.0,) + args[1:])) != 0
    arrays = array_ops()
    assert arrays["relu"].kink.side(np.array([-1.0, 2.0])).tolist() == [-1.0, 2.0]
    assert arrays["max"].kink.side(np.array([1.0]), np.array([3.0])).tolist() == [-2.0]


def test_kinks_reach_the_output_only():
    batch = Batch(parse("u = relu(x)\ny = abs(x - 1)"))
    chunk = batch.run({"x": np.array([-1.0, 0.5, 2.0])})
    ((node, edge),) = batch.kinks(chunk)
    assert batch.graph.text(node) == "abs(x - 1)" and edge.tolist() == [-2.0, -0.5, 1.0]


# ---- random programs against the float engine and finite differences -------------------------

UNARY = ["tanh", "sigmoid", "exp", "sin", "cos", "relu", "abs"]
BINARY = ["+", "-", "*"]


@st.composite
def programs(draw):
    terms = ["x", "y", "z"]
    for _ in range(draw(st.integers(2, 7))):
        a, b = draw(st.sampled_from(terms)), draw(st.sampled_from(terms))
        if draw(st.booleans()):
            terms.append(f"{draw(st.sampled_from(UNARY))}({a})")
        else:
            terms.append(f"({a} {draw(st.sampled_from(BINARY))} {b})")
    return "out = " + terms[-1] + " + x*y*z"


@settings(max_examples=60, deadline=None)
@given(programs(), st.integers(0, 2**32 - 1))
def test_random_programs_agree_with_the_float_engine(program, seed):
    rng = np.random.default_rng(seed)
    columns = {n: rng.uniform(-2, 2, size=8) for n in "xyz"}
    out = evaluate(program, columns)
    for k in range(8):
        expected = scalar(program, {n: float(c[k]) for n, c in columns.items()})
        assert {n: float(v[k]) for n, v in out.items()} == pytest.approx(expected, rel=1e-12, abs=1e-12)


def test_gradients_agree_with_central_differences():
    program = "out = sigmoid(x*y) * log(1 + z*z) + x**3 / (1 + y*y)"
    rng = np.random.default_rng(3)
    columns = {n: rng.uniform(-2, 2, size=20) for n in "xyz"}
    out = evaluate(program, columns)
    h = 1e-6
    for name in "xyz":
        up = evaluate(program, columns | {name: columns[name] + h})["out"]
        down = evaluate(program, columns | {name: columns[name] - h})["out"]
        assert out[f"dout/d{name}"] == pytest.approx((up - down) / (2 * h), rel=1e-5, abs=1e-7)


@pytest.mark.slow
def test_the_neuron_agrees_with_pytorch_batched_autograd():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(11)
    columns = {name: rng.normal(size=1000) for name in ("x1", "x2", "w1", "w2", "b")}
    out = evaluate(NEURON, columns)
    t = {n: torch.tensor(c, dtype=torch.float64, requires_grad=True) for n, c in columns.items()}
    o = torch.tanh(t["x1"] * t["w1"] + t["x2"] * t["w2"] + t["b"])
    o.sum().backward()
    assert np.allclose(out["o"], o.detach().numpy(), rtol=1e-14, atol=1e-15)  # vectorised tanh: last-bit differences
    for name in columns:
        assert np.allclose(out[f"do/d{name}"], t[name].grad.numpy(), rtol=1e-13, atol=1e-15), name
