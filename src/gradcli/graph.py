"""The computation graph: a flat list of nodes in topological order."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from .ops import OPS


@dataclass(slots=True)
class Node:
    """One value: an op applied to earlier nodes, a variable ("var") or a constant ("const")."""

    op: str
    args: tuple = ()
    name: str | None = None
    start: int = 0  # source span, as character offsets
    end: int = 0
    value: float | None = None  # a constant's value, or a variable's default


@dataclass
class Graph:
    """Nodes in topological order (every node's args come before it), and what names mean."""

    nodes: list[Node]
    source: str = ""
    output: int = -1
    variables: dict[str, int] = field(default_factory=dict)  # in order of first appearance
    named: dict[str, int] = field(default_factory=dict)  # name -> its latest assignment
    compiled: object = field(default=None, repr=False, compare=False)  # autodiff.Compiled, made once
    _lines: list[int] | None = field(default=None, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.nodes)

    def position(self, offset: int) -> tuple[int, int]:
        """(line, column), both from 1, of a character offset in the source."""
        if self._lines is None:
            self._lines = [0] + [m.end() for m in re.finditer("\n", self.source)]
        line = bisect.bisect_right(self._lines, offset)
        return line, offset - self._lines[line - 1] + 1

    def text(self, i: int, limit: int = 200) -> str:
        """The source text of node i, on one line; past `limit` characters of source it is cut, ending in `...`.

        Every view shows a few dozen characters at most, and the cut keeps a deeply nested program,
        whose spans hold one another, linear rather than quadratic.
        """
        node = self.nodes[i]
        text = " ".join(self.source[node.start : min(node.end, node.start + limit)].split())
        return text + "..." if node.end - node.start > limit else text

    def where(self, i: int) -> str:
        """`tanh(x) at line 1, column 5`: how an error points at node i."""
        line, col = self.position(self.nodes[i].start)
        text = self.text(i)
        if len(text) > 40:
            text = text[:37] + "..."
        return f"{text} at line {line}, column {col}"

    def defaults(self) -> dict[str, float]:
        """Variables that have a default value in the program (`a = 2`)."""
        return {n: self.nodes[i].value for n, i in self.variables.items() if self.nodes[i].value is not None}

    def labels(self) -> list[str]:
        """A short display name for every node: its name, a constant's text, `out`, or t1, t2, ...

        An unnamed output is `out`; other unnamed intermediates are numbered in topological order,
        skipping names the program uses.
        An earlier assignment of a re-assigned name is `c#1`, `c#2`, ...; the latest is `c`.
        """
        taken = set(self.named) | set(self.variables)
        labels, k, seen = [], 0, {}
        for i, node in enumerate(self.nodes):
            if node.name is not None:
                latest = self.named.get(node.name, self.variables.get(node.name)) == i
                seen[node.name] = seen.get(node.name, 0) + 1
                labels.append(node.name if latest else f"{node.name}#{seen[node.name]}")
            elif node.op == "const":
                labels.append(self.text(i) or format(node.value, ".15g"))
            elif i == self.output and "out" not in taken:
                labels.append("out")
            else:
                k += 1
                while f"t{k}" in taken:
                    k += 1
                labels.append(f"t{k}")
        return labels

    def symbol(self, i: int) -> str:
        """What the op of node i is called in tables and pictures."""
        op = self.nodes[i].op
        return OPS[op].symbol if op in OPS else op
