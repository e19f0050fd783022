"""The backward pass as a person writes it by hand: the model that `explain`'s views render.

Forward lines write each op with its arguments' labels and values (`e = a*b = 2 * -3 = -6`);
gradient lines multiply the upstream gradient by the local derivative whose formula text comes
from the op table (`dL/da = dL/de * de/da = -2 * b = -2 * -3 = 6`). A node used in several places
gets one term per user and their sum. Everything is built in flat sweeps over the node list.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field

from .engine import compiled
from .gradcheck import kink
from .ops import OPS
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
    note: str = ""  # why the local derivative is only a convention here (a kink)


@dataclass
class Gradient:
    node: int
    value: float  # d output / d node, as the engine computed it
    terms: list[Term] = field(default_factory=list)  # empty for the output itself


@dataclass
class Derivation:
    labels: list[str]
    output: int
    wrt: int | None
    forward: list[Forward]
    backward: list[Gradient]  # output first; each node after every node that uses it
    unreached: list[int]  # variables (or --wrt) with no path to the output: gradient 0


def short(value: float, precision: int = 4) -> str:
    """A number as a person writes it: `6`, `-0.5`, `0.7071`, `1e-07`."""
    if value == 0:
        return "0"
    if 1e-4 <= abs(value) < 1e9:
        text = f"{value:.{precision}f}".rstrip("0").rstrip(".")
        if text not in ("0", "-0"):
            return text
    return f"{value:.{precision}g}" if precision else f"{value:.0e}"


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


def form(op_name: str) -> str:
    """How the op is written on its arguments: the table's `form`, else `{x} * {y}` or `tanh({x})`."""
    op = OPS[op_name]
    if op.form:
        return op.form
    if op.infix:
        return f"{{x}} {op.symbol} {{y}}"
    return f"{op.symbol}({', '.join(['{x}', '{y}'][: op.arity])})"


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
    graph, values, grads = run.graph, run.values, run.grads
    nodes, depends = graph.nodes, compiled(graph).depends
    labels = [unwrap(label) if node.op == "const" else label for node, label in zip(nodes, graph.labels(), strict=True)]
    numbers = [short(v, precision) for v in values]
    shown = _on_path(run, wrt)

    forward = [Forward(i, "", "", "", values[i]) for i in graph.variables.values() if shown[i] or i == wrt]
    for i, node in enumerate(nodes):
        if not shown[i] or not node.args:
            continue
        # A long span is not shown; not reading it keeps deeply nested programs linear.
        text = unwrap(graph.text(i)) if node.end - node.start <= 4 * SOURCE_MAX else ""
        source = text if len(text) <= SOURCE_MAX and "=" not in text else ""  # "=": a whole statement
        args = node.args
        expr = fill(form(node.op), *(labels[a] for a in args))
        forward.append(Forward(i, source, expr, fill(form(node.op), *(numbers[a] for a in args)), values[i]))

    active = bytearray(bool(shown[i] and depends[i]) for i in range(len(nodes)))
    users: dict[int, list[int]] = {}
    pending = [0] * len(nodes)
    for i in range(len(nodes)):
        if active[i]:
            for a in nodes[i].args:
                if active[a]:
                    pending[a] += 1
                    if users.setdefault(a, [])[-1:] != [i]:  # x*x: one user, two slots
                        users[a].append(i)
    backward = []
    queue = deque([run.output] if active[run.output] else [])
    while queue:  # Kahn's order: a node once every node that uses it is done, nearest the output first
        i = queue.popleft()
        terms = [_term(run, labels, numbers, p, i) for p in users.get(i, ())]
        backward.append(Gradient(i, grads[i], terms))
        for a in nodes[i].args:
            if active[a]:
                pending[a] -= 1
                if pending[a] == 0:
                    queue.append(a)
    candidates = graph.variables.values() if wrt is None else [wrt]
    unreached = [v for v in candidates if not active[v]]
    return Derivation(labels, run.output, wrt, forward, backward, unreached)


def _on_path(run: Run, wrt: int | None) -> bytearray:
    """Nodes that feed the output and, given `wrt`, are computed from it."""
    nodes = run.graph.nodes
    shown = bytearray(len(nodes))
    shown[run.output] = 1
    for i in range(run.output, -1, -1):
        if shown[i]:
            for a in nodes[i].args:
                shown[a] = 1
    if wrt is None:
        return shown
    after = bytearray(len(nodes))
    after[wrt] = 1
    for i in range(wrt + 1, len(nodes)):
        after[i] = any(after[a] for a in nodes[i].args)
    return bytearray(s and a for s, a in zip(shown, after, strict=True))


def _term(run: Run, labels: list[str], numbers: list[str], via: int, i: int) -> Term:
    """d output / d via * d via / d i, summing the op's formulas over every argument slot holding i."""
    node = run.graph.nodes[via]
    op = OPS[node.op]
    slots = [k for k, a in enumerate(node.args) if a == i]
    formula = " + ".join(grouped(op.formulas[k]) if len(slots) > 1 else op.formulas[k] for k in slots)
    args = [run.values[a] for a in node.args]
    local = sum(op.derivs[k](*args, run.values[via]) for k in slots)
    upstream = run.grads[via]
    return Term(
        via, upstream, fill(formula, *(labels[a] for a in node.args)), fill(formula, *(numbers[a] for a in node.args)),
        local, upstream * local, kink(run.graph, run.values, via),
    )  # fmt: skip
