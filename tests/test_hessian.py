"""`gradcli hessian`: the table and the record, against PyTorch's hessian and against differences of the gradient."""

from __future__ import annotations

import functools
import json
import math

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from gradcli.autodiff import evaluate, gradients
from gradcli.errors import DomainError
from gradcli.hessian import hessian
from gradcli.parser import parse
from gradcli.torchcheck import TORCH
from test_symbolic import programs

EXAMPLE = ("L = (x - 3)**2 + x*y**2", "--x", "1", "--y", "2")


def test_the_table(gradcli):
    r = gradcli("hessian", *EXAMPLE)
    assert r.exit_code == 0 and r.stderr == ""
    assert r.stdout == (
        "L = 8.0000\n"
        "\n"
        "variable    value     grad        x        y\n"
        "────────────────────────────────────────────\n"
        "x          1.0000   0.0000   2.0000   4.0000\n"
        "y          2.0000   4.0000   4.0000   2.0000\n"
        "\n"
        "grad: dL/d(row); columns x, y: the Hessian, d2L/d(row)d(column)\n"
    )


def test_the_record(gradcli):
    r = gradcli("hessian", *EXAMPLE, "--format", "json")
    assert json.loads(r.stdout) == {
        "output": "L", "value": 8.0, "variables": ["x", "y"], "gradient": {"x": 0.0, "y": 4.0},
        "hessian": [[2.0, 4.0], [4.0, 2.0]],
    }  # fmt: skip
    r = gradcli("hessian", *EXAMPLE, "--format", "json", "--wrt", "y")
    assert json.loads(r.stdout)["hessian"] == [[2.0]]


def test_the_gradient_is_evals(gradcli):
    seed = ("o=tanh(x1*w1 + x2*w2 + b)", "--x1", "2", "--x2", "0", "--w1", "-3", "--w2", "1")
    seed += ("--b", "6.881373587019543")
    record = json.loads(gradcli("hessian", *seed, "--format", "json").stdout)
    grads = json.loads(gradcli("eval", *seed, "--format", "json").stdout)["grads"]
    assert record["gradient"] == {name: grads[name] for name in record["variables"]}


def test_an_infinite_second_derivative_is_shown_and_noted(gradcli):
    r = gradcli("hessian", "y = x**1.5*z", "--x", "0", "--z", "1", "--format", "json")
    assert r.exit_code == 0
    assert json.loads(r.stdout)["hessian"] == [[None, 0.0], [0.0, 0.0]]
    assert r.stderr == "note: a second derivative is infinite or undefined here\n"
    r = gradcli("hessian", "y = x**1.5*z", "--x", "0", "--z", "1", "--strict")
    assert (r.exit_code, r.stderr) == (1, "error: a second derivative of y is infinite or undefined here\n")
    r = gradcli("hessian", "y = sqrt(x)*z", "--x", "0", "--z", "1")
    assert r.stderr.startswith("note: dy/dx is inf: the derivative of sqrt(x)")


def test_unbound_and_bad_input(gradcli):
    r = gradcli("hessian", "y = x*z", "--x", "1")
    assert (r.exit_code, r.stderr) == (2, "error: unbound variable: z (bind with --z VALUE)\n")


def central_hessian(graph, at: dict[str, float], h: float = 1e-5) -> list[list[float]]:
    """Central differences of the engine's gradient: row i, column j is (g_i(x + h e_j) - g_i(x - h e_j)) / 2h."""
    names = list(graph.variables)
    rows = [[0.0] * len(names) for _ in names]
    for j, name in enumerate(names):
        moved = []
        for sign in (1, -1):
            point = dict(at)
            point[name] += sign * h
            g = gradients(graph, evaluate(graph, point))
            moved.append([g[graph.variables[n]] for n in names])
        for i in range(len(names)):
            rows[i][j] = (moved[0][i] - moved[1][i]) / (2 * h)
    return rows


points = st.floats(min_value=-1.5, max_value=1.5, allow_nan=False).filter(lambda v: abs(v) > 0.05)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(programs(), points, points, points)
def test_random_programs_against_differences_of_the_gradient(text, x, y, z):
    graph = parse(text)
    assume(graph.variables)
    at = {n: v for n, v in {"x": x, "y": y, "z": z}.items() if n in graph.variables} | graph.defaults()
    try:
        values = evaluate(graph, at)
        reference = central_hessian(graph, at)
    except DomainError:
        assume(False)
    assume(all(abs(v) < 1e3 for v in values))
    # near a pole (tan at pi/2) differences of the gradient lose digits; torch checks those points
    assume(all(abs(h) < 1e4 for row in reference for h in row))
    assume(not any(node.op in ("relu", "abs", "max", "min", "sign", "step") for node in graph.nodes))
    result = hessian(graph, at, graph.output, list(graph.variables.values()))
    for mine, theirs in zip(result.matrix, reference):
        assert mine == pytest.approx(theirs, rel=1e-4, abs=1e-4), text


def torch_hessian(torch, graph, at: dict[str, float]):
    """torch.autograd.functional.hessian of the same program, in float64."""
    functions = {
        op: getattr(torch, f) if isinstance(f, str) else functools.partial(f, torch) for op, f in TORCH.items()
    }
    names = list(graph.variables)

    def f(v):
        tensors = []
        for node in graph.nodes:
            if node.op == "var":
                tensors.append(v[names.index(node.name)])
            elif node.op == "const":
                tensors.append(torch.tensor(node.value, dtype=torch.float64))
            else:
                tensors.append(functions[node.op](*(tensors[a] for a in node.args)))
        return tensors[graph.output]

    point = torch.tensor([at[n] for n in names], dtype=torch.float64)
    return torch.autograd.functional.hessian(f, point).tolist()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(programs(), points, points, points)
def test_random_programs_against_pytorch(text, x, y, z):
    torch = pytest.importorskip("torch")
    graph = parse(text)
    assume(graph.variables)
    at = {n: v for n, v in {"x": x, "y": y, "z": z}.items() if n in graph.variables} | graph.defaults()
    try:
        evaluate(graph, at)
    except DomainError:
        assume(False)
    result = hessian(graph, at, graph.output, list(graph.variables.values()))
    # where eval's own gradient is undefined (log0 at 0 times 0: inf*0), so is the Hessian, with a note;
    # PyTorch's where() gives 0 there
    assume(all(math.isfinite(result.run.grads[i]) for i in graph.variables.values()))
    theirs = torch_hessian(torch, graph, at)
    assume(all(math.isfinite(v) and abs(v) < 1e8 for row in theirs for v in row))
    for mine, row in zip(result.matrix, theirs):
        assert mine == pytest.approx(row, rel=1e-9, abs=1e-9), text


@pytest.mark.parametrize(
    "program,at",
    [
        ("y = relu(x)*x + relu(x)", {"x": 0.0}),
        ("y = abs(x)*z + abs(z)**2", {"x": 0.0, "z": 0.0}),
        ("y = max(x, z)**2 + min(x, z)*x", {"x": 1.5, "z": 1.5}),
        ("y = max(x*x, z)", {"x": 1.0, "z": 1.0}),
    ],
)
def test_kinks_follow_pytorch(program, at):
    """At a kink the second derivatives are PyTorch's: the derivative of relu', abs', sign is 0."""
    torch = pytest.importorskip("torch")
    graph = parse(program)
    result = hessian(graph, at, graph.output, list(graph.variables.values()))
    assert result.matrix == torch_hessian(torch, graph, at)
