"""A program bound and run: the program as a command is given it (`Program`), evaluated and differentiated (`Run`)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cached_property, lru_cache

from .autodiff import Note, compiled, evaluate, gradient_notes, gradients, undefined_error
from .errors import InputError, UnboundVariable, UnknownVariable, listing, shorten
from .fmt import infinite
from .graph import Graph
from .parser import parse, terminal
from .source import read_source
from .suggest import did_you_mean


@lru_cache(maxsize=1)
def _number() -> re.Pattern:
    """A number as the language writes it (the grammar's NUMBER, in ASCII digits), with a sign: float()
    alone also takes `1_0` and `٣`. inf and nan are read so as to say that they are not finite."""
    return re.compile(rf"[ \t]*[+-]?(?:{terminal('NUMBER')}|(?i:inf|infinity|nan))[ \t]*")


def parse_number(text: str, what: str) -> float:
    """A finite float from the command line, or an InputError naming `what`."""
    if not _number().fullmatch(text):
        raise InputError(f"{what}: {shorten(text)!r} is not a number")
    value = float(text)
    if not math.isfinite(value):
        raise InputError(f"{what}: {shorten(text)!r} is not a finite number")
    return value


def bind(graph: Graph, given: dict[str, str], require: bool = True) -> dict[str, float]:
    """The program's defaults overridden by `given` (name -> text); checks every name."""
    for name in given:
        if name not in graph.variables:
            raise UnknownVariable(name, list(graph.variables), name in graph.named)
    values = graph.defaults() | {n: parse_number(v, f"--{n}") for n, v in given.items()}
    missing = [n for n in graph.variables if n not in values]
    if missing and require:
        raise UnboundVariable(missing)
    return values


def output_node(graph: Graph, of: str | None, option: str = "--of") -> int:
    """The node to differentiate: `--of NAME`, or the program's output. `option` names the flag in errors.

    NAME is any name the views show: a variable, a named node, an earlier assignment `c#1`, or an
    unnamed intermediate `t1` (or `out`).
    """
    if of is None:
        return graph.output
    index = graph.named.get(of, graph.variables.get(of))
    if index is None:
        shown = (i for i, label in enumerate(graph.labels()) if label == of and graph.nodes[i].op != "const")
        index = next(shown, None)
    if index is None:
        names = list(graph.variables) + [n for n in graph.named if n not in graph.variables]
        hint, of = did_you_mean(of, names), shorten(of)
        raise InputError(f"{option} {of}: no node is named {of}{hint} (named nodes: {listing(names)})")
    return index


@dataclass
class Run:
    """A program evaluated at its bindings and differentiated with respect to `output`.

    A gradient that is infinite or undefined at the point is inf or nan in `grads`, and `notes`
    says where it starts; with `strict`, `of` raises the error instead.
    """

    graph: Graph
    bindings: dict[str, float]
    output: int
    values: list[float]
    grads: list[float]

    @classmethod
    def of(cls, graph: Graph, bindings: dict[str, float], output: int, strict: bool = False) -> Run:
        values = evaluate(graph, bindings)
        run = cls(graph, bindings, output, values, gradients(graph, values, output))
        if strict and run.notes:
            raise undefined_error(graph, values, run.notes[0])
        return run

    @cached_property
    def notes(self) -> list[Note]:
        """Where gradients become infinite or undefined, in node order (empty when every one is finite)."""
        return gradient_notes(self.graph, self.values, self.grads, self.output)

    def undefined_note(self) -> str:
        """`dy/dp is undefined: the derivative of x**p ... in p is x**p*log0(x), undefined at x = -2, p = 2`,
        for the first gradient that is infinite or undefined ("" when all are finite)."""
        if not self.notes:
            return ""
        labels = self.graph.labels()
        note, more = self.notes[0], len(self.notes) - 1
        text = f"d{labels[self.output]}/d{labels[note.node]} is {infinite(self.grads[note.node])}: {note.reason}"
        if more:
            text += f" (and {more:,} more)"
        return text

    @property
    def depends(self) -> list[bool]:
        """For each node: is it computed from a variable (so that it has a gradient)?"""
        return compiled(self.graph).depends

    @cached_property
    def feeds(self) -> bytearray:
        """1 for the output and every node it is computed from."""
        nodes = self.graph.nodes
        feeds = bytearray(len(nodes))
        feeds[self.output] = 1
        for i in range(self.output, -1, -1):
            if feeds[i]:
                for a in nodes[i].args:
                    feeds[a] = 1
        return feeds

    def listed(self, unnamed: bool = False) -> list[int]:
        """Nodes a table shows: variables, then named intermediates (then unnamed ones), then the output."""
        graph = self.graph
        rest = [
            i
            for i, node in enumerate(graph.nodes)
            if node.op != "var" and i != self.output and node.op != "const" and (unnamed or node.name is not None)
        ]
        head = [i for i in graph.variables.values() if i != self.output]
        return head + rest + [self.output]

    def grad(self, i: int) -> float | None:
        """d output / d node i (inf or nan where undefined), or None where node i depends on no variable or
        does not feed the output."""
        return self.grads[i] if self.depends[i] and self.feeds[i] else None


class Program:
    """A program as a command is given it: the text (EXPR, or -f FILE, or - for standard input), the
    bindings (name -> text) and the node to differentiate (`--of`); read, parsed and bound when asked."""

    def __init__(self, expr: str | None, file: str | None, given: dict[str, str], of: str | None = None):
        self.expr, self.file, self.given, self.of = expr, file, given, of

    @cached_property
    def text(self) -> str:
        return read_source(self.expr, self.file)

    @cached_property
    def graph(self) -> Graph:
        return parse(self.text)

    def bindings(self, require: bool = True) -> dict[str, float]:
        """The program's defaults overridden by the given bindings (every variable bound, if `require`)."""
        return bind(self.graph, self.given, require)

    def output(self) -> int:
        """The node to differentiate: `of`, or the program's output."""
        return output_node(self.graph, self.of)

    def run(self, strict: bool = False) -> Run:
        """Read, parse, bind, evaluate and differentiate (`strict`: a gradient that is not finite is an error)."""
        bindings = self.bindings()
        return Run.of(self.graph, bindings, self.output(), strict)
