"""The backward pass as a graph of its own: what `gradcli graph --backward` draws beside the program.

Every value v of the program that feeds the output L and depends on a variable gets an adjoint,
dL/dv, built as the engine's backward pass computes it: from the output down, each use adds
`local * dL/d(user)`, with the local derivative from the op table's expression over the
argument values and the user's value (`symbolic.Template`), simplified as `symbolic.Expr` makes
nodes (so `1 * g` is g: a `+` routes its gradient on unchanged).

In the Expr, each program value is a leaf of its own ("value", i) and each adjoint a leaf
("grad", i) standing for the node it is computed as (`sums[i]`): so the picture shows one
box per adjoint, its formula in terms of the adjoints above it and the forward values it reads,
and the intermediates of the local derivatives (`1 - o**2`). Values are computed node by node in
the Expr's order (every node after its arguments), with IEEE's inf or nan where an op has none.
"""

from __future__ import annotations

from dataclasses import dataclass

from .autodiff import compiled
from .graph import Graph
from .ops import ieee
from .symbolic import Expr, templates

VALUE, GRAD = "value", "grad"


@dataclass
class Adjoint:
    """The adjoint program of `output`: per program node, its adjoint leaf and what that leaf is computed as."""

    graph: Graph
    output: int
    expr: Expr
    grads: dict[int, int]  # program node -> its ("grad", node) leaf, output first, then down the program
    sums: dict[int, int]  # program node -> the Expr node its adjoint is computed as (not the output's: the seed, 1)
    values: list[float] | None  # every Expr node's value, when the program's values are given

    def leaf(self, j: int) -> tuple[str, int] | None:
        """("value", i) or ("grad", i) for a leaf standing for program node i; None for any other node."""
        return self.expr.values[j] if self.expr.ops[j] == "var" else None

    @property
    def size(self) -> int:
        """The nodes the backward pass adds to the program's: its adjoints, their parts and numbers."""
        return sum(1 for j in range(len(self.expr)) if (self.leaf(j) or ("",))[0] != VALUE)

    def value(self, i: int) -> float | None:
        """dL/d(program node i), or None when there are no values (or node i has no adjoint)."""
        if self.values is None or i not in self.grads:
            return None
        return self.values[self.grads[i]]


def adjoint_program(graph: Graph, output: int, values: list[float] | None = None) -> Adjoint:
    """The backward pass of `output` as nodes, with every node's value if the program's `values` are given."""
    expr = Expr()
    leaves = [expr.const(n.value) if n.op == "const" else expr.var((VALUE, i)) for i, n in enumerate(graph.nodes)]
    depends = compiled(graph).depends
    table = templates()
    make, const = expr.make, expr.const
    grads, sums = {}, {}
    reached = {output}
    for i in range(output, -1, -1):
        node = graph.nodes[i]
        if i not in reached or not depends[i]:
            continue
        g = grads[i] = expr.var((GRAD, i))
        if not node.args:
            continue
        slots = {"x": leaves[node.args[0]], "y": leaves[node.args[-1]], "out": leaves[i]}
        for k, a in enumerate(node.args):
            if not depends[a]:
                continue
            term = make("mul", table[node.op][k].apply(make, const, slots), g)
            sums[a] = term if a not in sums else make("add", sums[a], term)
            reached.add(a)
    found = Adjoint(graph, output, expr, grads, sums, None)
    if values is not None:
        found.values = _evaluate(found, values)
    return found


def _evaluate(adjoint: Adjoint, values: list[float]) -> list[float]:
    expr = adjoint.expr
    computed: list[float] = []
    for j, op in enumerate(expr.ops):
        if op == "const":
            computed.append(expr.values[j])
        elif op == "var":
            kind, i = expr.values[j]
            if kind == VALUE:
                computed.append(values[i])
            else:  # the sum it stands for comes earlier in the Expr; the output's is the seed
                computed.append(computed[adjoint.sums[i]] if i in adjoint.sums else 1.0)
        else:
            computed.append(ieee(op, *(computed[a] for a in expr.args[j])))
    return computed
