"""The backward pass as a person writes it by hand: the model that `explain`'s views render.

Forward lines write each op with its arguments' labels and values (`e = a*b = 2 * -3 = -6`);
gradient lines multiply the upstream gradient by the local derivative whose formula text comes
from the op table (`dL/da = dL/de * de/da = -2 * b = -2 * -3 = 6`). A node used in several places
gets one term per user and their sum. The bookkeeping is a few flat sweeps over the node list;
the lines themselves are made on demand, so a view that shows 200 lines of a million builds 200.
"""

from __future__ import annotations

import math
import re
from array import array
from collections import deque
from dataclasses import dataclass, field

from .fmt import infinite, short
from .ops import OPS, at_kink
from .program import Run

SOURCE_MAX = 40  # longer source text is left out of a forward line


@dataclass
class Forward:
    """A node's value: `source = expr = numbers = value` (a variable has only its value)."""

    node: int
    source: str  # the node's own source text, or ""
    expr: str  # the op on its arguments' labels: "t1 + c"
    numbers: str  # the op on its arguments' values: "-6 + 10"
    value: float


@dataclass
class Term:
    """One use of a node: d output / d via times d via / d node."""

    via: int  # the node that uses it
    upstream: float  # d output / d via
    local: str  # d via / d node, the op table's formula on labels
    numbers: str  # the same formula on values
    local_value: float
    value: float  # upstream * local_value
    note: str = ""  # why the local derivative is only a convention here (a kink), or is not finite


@dataclass
class Gradient:
    node: int
    value: float  # d output / d node, as the engine computed it
    terms: list[Term] = field(default_factory=list)  # empty for the output itself


class Derivation:
    """What `explain` writes, made line by line on demand: a view builds only the lines it shows.

    `forward` lists the nodes whose values are written (every value a kept line uses), `order`
    the nodes whose gradients are written (output first; each after every node that uses it).
    """

    def __init__(self, run: Run, wrt: int | None, precision: int):
        self.run, self.wrt, self.precision, self.output = run, wrt, precision, run.output
        graph = run.graph
        nodes, depends = graph.nodes, run.depends
        self.labels = [
            unwrap(label) if node.op == "const" else label for node, label in zip(nodes, graph.labels(), strict=True)
        ]
        kept = _on_path(run, wrt)
        active = bytearray(bool(kept[i] and depends[i]) for i in range(len(nodes)))
        self.forward = _forward_order(graph, kept, wrt)
        self.users, self.first_user = _users(nodes, active)
        self.order = _backward_order(nodes, active, run.output)
        candidates = graph.variables.values() if wrt is None else [wrt]
        self.unreached = [v for v in candidates if not active[v]]

    def number(self, i: int) -> str:
        return short(self.run.values[i], self.precision)

    def users_of(self, i: int):
        """The nodes that use node i on a kept path, in node order (each once)."""
        return self.users[self.first_user[i] : self.first_user[i + 1]]

    def uses(self, i: int) -> int:
        """How many nodes use node i on a kept path."""
        return self.first_user[i + 1] - self.first_user[i]

    def line(self, i: int) -> Forward:
        """Node i's forward line."""
        graph, labels, node = self.run.graph, self.labels, self.run.graph.nodes[i]
        if not node.args:
            return Forward(i, "", "", "", self.run.values[i])
        # A long span is not shown; not reading it keeps deeply nested programs linear.
        text = unwrap(graph.text(i)) if node.end - node.start <= 4 * SOURCE_MAX else ""
        source = text if len(text) <= SOURCE_MAX and "=" not in text else ""  # "=": a whole statement
        template = OPS[node.op].notation
        expr = fill(template, *(labels[a] for a in node.args))
        return Forward(i, source, expr, fill(template, *(self.number(a) for a in node.args)), self.run.values[i])

    def gradient(self, i: int, terms: range | None = None) -> Gradient:
        """Node i's gradient with its terms (only those numbered in `terms`, if given)."""
        users = self.users_of(i)
        chosen = users if terms is None else [users[k] for k in terms]
        return Gradient(i, self.run.grads[i], [self.term(via, i) for via in chosen])

    def term(self, via: int, i: int) -> Term:
        """d output / d via * d via / d i, summing the op's formulas over every argument slot holding i."""
        run, labels = self.run, self.labels
        node = run.graph.nodes[via]
        op = OPS[node.op]
        slots = [k for k, a in enumerate(node.args) if a == i]
        formula = " + ".join(grouped(op.formula(k)) if len(slots) > 1 else op.formula(k) for k in slots)
        args = [run.values[a] for a in node.args]
        local = sum(op.derivs[k](*args, run.values[via]) for k in slots)
        upstream = run.grads[via]
        note = at_kink(node.op, args)
        if note:
            note += ": this value is PyTorch's convention"
        elif not math.isfinite(local):
            note = f"d{labels[via]}/d{labels[i]} is {infinite(local)} here"
        return Term(
            via, upstream, fill(formula, *(labels[a] for a in node.args)),
            fill(formula, *(self.number(a) for a in node.args)), local, upstream * local, note,
        )  # fmt: skip

    @property
    def backward(self) -> list[Gradient]:
        """Every gradient with all its terms (for a library caller: a view builds only what it shows)."""
        return [self.gradient(i) for i in self.order]


_SLOT = re.compile(r"\{([xy])\}")


def fill(template: str, x: str, y: str = "") -> str:
    """Put `x` and `y` into {x} and {y}, bracketing a negative where it would read wrong (`-(-3)`, `(-2)**2`)."""

    def put(match: re.Match) -> str:
        text = x if match.group(1) == "x" else y
        if not text.startswith("-"):
            return text
        before, after = template[: match.start()], template[match.end() :]
        tight = before[-1:] in ("+", "-", "*", "/")
        spaced = before.rstrip()[-1:] in ("+", "-")
        return f"({text})" if tight or spaced or after.lstrip().startswith("**") else text

    return _SLOT.sub(put, template)


def unwrap(text: str) -> str:
    """`a*b+c` for `(a*b+c)`: the text without brackets that enclose all of it."""
    while text.startswith("(") and text.endswith(")"):
        depth = 0
        for k, ch in enumerate(text):
            depth += (ch == "(") - (ch == ")")
            if depth == 0 and k < len(text) - 1:
                return text
        text = text[1:-1].strip()
    return text


def grouped(formula: str) -> str:
    """Brackets around a formula with a top-level space (`1 - tanh(x)**2`), so that it can be multiplied."""
    depth = 0
    for ch in formula:
        depth += (ch == "(") - (ch == ")")
        if ch == " " and depth == 0:
            return f"({formula})"
    return formula


def derive(run: Run, wrt: int | None = None, precision: int = 4) -> Derivation:
    """The forward values and the chain rule from the output back to the variables (or to `wrt`)."""
    return Derivation(run, wrt, precision)


def _on_path(run: Run, wrt: int | None) -> bytearray:
    """Nodes that feed the output and, given `wrt`, are computed from it: whose gradients are written."""
    if wrt is None:
        return run.feeds
    nodes = run.graph.nodes
    after = bytearray(len(nodes))
    after[wrt] = 1
    for i in range(wrt + 1, len(nodes)):
        after[i] = any(after[a] for a in nodes[i].args)
    return bytearray(s and a for s, a in zip(run.feeds, after, strict=True))


def _forward_order(graph, kept: bytearray, wrt: int | None) -> array:
    """The nodes whose values are written: the kept ones, `wrt`, and every value their lines use, variables first."""
    nodes = graph.nodes
    shown = bytearray(kept)
    if wrt is not None:
        shown[wrt] = 1
    for i in range(len(nodes) - 1, -1, -1):
        if shown[i]:
            for a in nodes[i].args:
                shown[a] = 1
    order = array("q", (i for i in graph.variables.values() if shown[i]))
    order.extend(i for i, node in enumerate(nodes) if shown[i] and node.args)
    return order


def _users(nodes, active: bytearray) -> tuple[array, array]:
    """Each active node's active users, in node order and each once, as one flat array and where each node's start."""
    count = array("q", bytes(8 * (len(nodes) + 1)))
    for i, node in enumerate(nodes):
        if active[i]:
            for a in dict.fromkeys(node.args):
                if active[a]:
                    count[a + 1] += 1
    for i in range(len(nodes)):
        count[i + 1] += count[i]
    first, place = count, array("q", count)
    users = array("q", bytes(8 * first[-1]))
    for i, node in enumerate(nodes):
        if active[i]:
            for a in dict.fromkeys(node.args):
                if active[a]:
                    users[place[a]] = i
                    place[a] += 1
    return users, first


def _backward_order(nodes, active: bytearray, output: int) -> array:
    """Kahn's order: a node once every node that uses it is done, nearest the output first."""
    pending = array("q", bytes(8 * len(nodes)))
    for i, node in enumerate(nodes):
        if active[i]:
            for a in node.args:
                if active[a]:
                    pending[a] += 1
    order = array("q")
    queue = deque([output] if active[output] else [])
    while queue:
        i = queue.popleft()
        order.append(i)
        for a in nodes[i].args:
            if active[a]:
                pending[a] -= 1
                if pending[a] == 0:
                    queue.append(a)
    return order
