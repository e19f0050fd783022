"""The derivative of a program as a program: what `gradcli diff` prints, and its values.

`differentiate` builds the derivatives of the output with respect to the chosen variables, of any
order, as nodes of one `Expr` (first derivatives by the node-building backward pass over the
program as written, each higher order by the same pass over the formulas of the order below).
A formula is named `dy_dx` (first order), `d2y_dx2` or `d2y_dxdz` (second), `d3y_dx2dz`, ...
The written program (`Derivative.program`) is valid gradcli input: its values are the
derivatives, and differentiating it again gives the next order.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import cached_property

from .autodiff import compiled
from .errors import DomainError, InputError
from .graph import Graph
from .ops import ieee
from .printing import LATEX, TEXT, Layout, Style, number
from .symbolic import Expr, gradient, program_gradient

MAX_ORDER = 4
_NOT_A_NAME = re.compile(r"[^A-Za-z0-9_]")


@dataclass
class Formula:
    """One derivative: the variables it is taken with respect to (in order), its name, its node."""

    wrt: tuple[str, ...]
    name: str
    node: int


@dataclass
class Derivative:
    """The derivatives of one output of a program, as formulas over one Expr."""

    graph: Graph
    output: int
    label: str  # the output's name, as the formulas' names use it
    wrt: list[str]
    order: int
    expr: Expr
    formulas: list[Formula] = field(default_factory=list)

    @cached_property
    def layout(self) -> Layout:
        return Layout(self.expr, [(f.name, f.node) for f in self.formulas], self.graph.variables)

    @cached_property
    def defaults(self) -> dict[str, float]:
        """The program's variables with a default value (`a = 2`) that the formulas use: their statements come first."""
        used = {self.expr.values[i] for i in self.layout.order if self.expr.ops[i] == "var"}
        return {name: value for name, value in self.graph.defaults().items() if name in used}

    def statements(self, style: Style = TEXT) -> list[tuple[str, str]]:
        """(name, formula) for every statement of the program, in order: defaults, shared parts, derivatives."""
        head = [(style.name(name), style.number(value)) for name, value in self.defaults.items()]
        return head + self.layout.statements(style)

    def texts(self, style: Style = TEXT) -> dict[str, str]:
        """Each derivative's formula (its right-hand side), by name."""
        lines = dict(self.layout.statements(style))
        return {f.name: lines[f.name] for f in self.formulas}

    def program(self) -> str:
        """The program text, one statement a line."""
        return "".join(f"{name} = {text}\n" for name, text in self.statements())

    def values(self, bindings: dict[str, float]) -> dict[str, float]:
        """Each derivative's value at the bindings, as gradcli computes the program text: inf or nan where
        it has none (a division by zero, a log of 0 in the formula)."""
        from .parser import parse

        graph = parse(self.program())
        values = forward(graph, {n: bindings[n] for n in graph.variables if n in bindings})
        return {f.name: values[graph.named.get(f.name, graph.variables.get(f.name))] for f in self.formulas}


def differentiate(graph: Graph, output: int, wrt: list[str] | None = None, order: int = 1) -> Derivative:
    """The derivatives of `output` of every `order`-th order in the variables `wrt` (all by default)."""
    wrt = list(graph.variables) if wrt is None else wrt
    if not wrt:
        raise InputError("nothing to differentiate: the program has no variables")
    label = _identifier(_label(graph, output))
    expr, ids, first = program_gradient(graph, output)
    derivative = Derivative(graph, output, label, wrt, order, expr)
    zero = expr.const(0.0)
    level = {(v,): first.get(v, zero) for v in wrt}
    position = {v: k for k, v in enumerate(wrt)}
    for _ in range(order - 1):
        deeper = {}
        for key, node in level.items():
            grads = gradient(expr, node) if expr.depends[node] else {}
            for v in wrt[position[key[-1]] :]:
                deeper[key + (v,)] = grads.get(v, zero)
        level = deeper
    taken = set(graph.variables) | set(graph.named)
    for key, node in level.items():
        name = _fresh(_name(label, key), taken)
        taken.add(name)
        derivative.formulas.append(Formula(key, name, node))
    return derivative


def _label(graph: Graph, output: int) -> str:
    """What the views call the output (its name, or `out`), without labelling every node when it is named."""
    name = graph.nodes[output].name
    if name is not None and graph.named.get(name, graph.variables.get(name)) == output:
        return name
    return graph.labels()[output]


def _identifier(label: str) -> str:
    """The output's label as part of a name: `c#1` -> `c_1`."""
    return _NOT_A_NAME.sub("_", label)


def _name(label: str, wrt: tuple[str, ...]) -> str:
    """dy_dx, d2y_dx2, d2y_dxdz, d3y_dx2dz."""
    counts = dict.fromkeys(wrt, 0)
    for v in wrt:
        counts[v] += 1
    by = "".join(  # dx2, but dx1dx1: a name ending in a digit is repeated
        f"d{v}" * count if v[-1].isdigit() else f"d{v}{count if count > 1 else ''}" for v, count in counts.items()
    )
    return f"d{label}_{by}" if len(wrt) == 1 else f"d{len(wrt)}{label}_{by}"


def _fresh(name: str, taken: set[str]) -> str:
    if name not in taken:
        return name
    k = 2
    while f"{name}_{k}" in taken:
        k += 1
    return f"{name}_{k}"


def forward(graph: Graph, bindings: dict[str, float]) -> list[float]:
    """Every node's value, as the engine computes it; a node that fails (a division by zero in a
    derivative, a log of 0) is inf or nan, as IEEE arithmetic has it, instead of an error."""
    program = compiled(graph)
    values = program.values(bindings)
    try:
        return program.forward(values)
    except DomainError:
        pass
    values = program.values(bindings)
    for i, _, a, b in program.forward_program:
        values[i] = ieee(graph.nodes[i].op, *((values[a],) if b is None else (values[a], values[b])))
    return values


def describe(value: float) -> str:
    """A derivative's value in a comment: the shortest text that reads back as the same float."""
    if math.isfinite(value):
        return number(value)
    return "undefined" if math.isnan(value) else "inf" if value > 0 else "-inf"


__all__ = ["LATEX", "TEXT", "Derivative", "Formula", "differentiate", "forward", "describe"]
