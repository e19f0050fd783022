"""Second derivatives: the Hessian of a program's output, and Newton's step that uses it.

The program's gradient is built once as a program of its own (`symbolic.program_gradient`, the
same local derivatives as the engine's, PyTorch's conventions at kinks included), compiled by the
engine, and then evaluated at any point: one forward pass, and one backward pass per variable
gives that variable's row of second derivatives. So a Newton descent re-runs one compiled graph
per step, as gradient descent does. The value and gradient themselves are the engine's (`Run`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .autodiff import compiled
from .errors import DomainError, EvalError
from .formulas import forward
from .graph import Graph
from .program import Run
from .symbolic import program_gradient, to_graph


class SecondOrder:
    """The gradient of `output` in `variables` (program nodes) as a compiled graph: its Hessian anywhere."""

    def __init__(self, graph: Graph, output: int, variables: list[int]):
        self.graph, self.output, self.variables = graph, output, variables
        names = [graph.nodes[i].name for i in variables]
        expr, _, grads = program_gradient(graph, output)
        zero = expr.const(0.0)
        self.names = [f"d/d{name}" for name in names]
        self.gradient, _ = to_graph(expr, [(label, grads.get(name, zero)) for label, name in zip(self.names, names)])
        self.program = compiled(self.gradient)
        self.columns = [self.gradient.variables.get(name) for name in names]  # a variable the gradient lacks: 0

    def matrix(self, bindings: dict[str, float]) -> list[list[float]]:
        """d2 output / d v_i d v_j at the bindings; inf or nan where a second derivative is infinite or undefined."""
        gradient = self.gradient
        values = forward(gradient, {n: bindings[n] for n in gradient.variables})
        rows = []
        for name in self.names:
            try:
                grads = self.program.backward(values, gradient.named[name])
            except DomainError:  # a local derivative failed: this row has no value
                rows.append([math.nan] * len(self.columns))
                continue
            rows.append([0.0 if j is None else grads[j] for j in self.columns])
        return rows


@dataclass
class Hessian:
    """The value, the gradient (the engine's, as eval has it) and the matrix of second derivatives."""

    run: Run
    variables: list[int]  # program nodes, in the matrix's order
    matrix: list[list[float]]

    @property
    def names(self) -> list[str]:
        return [self.run.graph.nodes[i].name for i in self.variables]

    @property
    def finite(self) -> bool:
        return all(math.isfinite(h) for row in self.matrix for h in row)


def hessian(graph: Graph, bindings: dict[str, float], output: int, variables: list[int], strict=False) -> Hessian:
    """The Hessian of `output` in `variables` at the bindings (`strict`: an error where a derivative is not finite)."""
    run = Run.of(graph, bindings, output, strict)
    result = Hessian(run, variables, SecondOrder(graph, output, variables).matrix(run.bindings))
    if strict and not result.finite:
        raise EvalError(f"a second derivative of {graph.labels()[output]} is infinite or undefined here")
    return result


class NoNewtonStep(EvalError):
    """The Hessian has no inverse here, or Newton's step would not head for a minimum."""


class Newton:
    """Newton's direction `H^-1 g` for the moving `variables` (program nodes), at any point.

    The linear system is solved by numpy (LAPACK's LU with pivoting), after the Hessian's
    eigenvalues say it is positive definite: a Hessian that is singular (an eigenvalue 0, to
    1e-12 of the largest) or not positive definite (a saddle point or a maximum ahead) is a
    `NoNewtonStep`, which says so and suggests gradient descent.
    """

    def __init__(self, graph: Graph, output: int, variables: list[int]):
        self.second = SecondOrder(graph, output, variables)
        self.label = graph.labels()[output]

    def direction(self, bindings: dict[str, float], gradient: list[float]) -> list[float]:
        """`H^-1 g` at the bindings, `gradient` the moving variables' first derivatives there."""
        import numpy as np

        h = np.array(self.second.matrix(bindings), dtype=float)
        if not np.isfinite(h).all():
            raise NoNewtonStep(f"a second derivative of {self.label} is infinite or undefined here{SUGGEST}")
        eigenvalues = np.linalg.eigvalsh(h)
        low, high = float(eigenvalues[0]), float(eigenvalues[-1])
        scale = float(np.abs(eigenvalues).max())
        seen = f"eigenvalue {low:.6g}" if len(eigenvalues) == 1 else f"eigenvalues {low:.6g} to {high:.6g}"
        smallest = float(np.abs(eigenvalues).min())
        if smallest <= 1e-12 * scale:
            kind = "singular" if smallest == 0 else "nearly singular"
            raise NoNewtonStep(f"the Hessian is {kind} here ({seen}): Newton's step is undefined{SUGGEST}")
        if low < 0:
            kind, toward = ("indefinite", "a saddle point") if high > 0 else ("negative definite", "a maximum")
            raise NoNewtonStep(f"the Hessian is {kind} here ({seen}): Newton's step heads for {toward}{SUGGEST}")
        return [float(d) for d in np.linalg.solve(h, np.array(gradient, dtype=float))]


SUGGEST = "; try --method gd"
