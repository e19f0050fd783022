"""A case of the audit: a small program as a flat list of nodes, and what gradcli expects of it.

The same list is walked three ways, each a loop over it (no recursion): the child builds it with
the learner's class (`runner.py`), `python()` writes it as the learner would type it
(`a = Value(3.0); out = a + a`), and `text()` writes it as a gradcli program, which gradcli's own
parser and engine evaluate for the expected value and gradients.

Nodes: `["leaf", value]` (an instance of the class, named a, b, c, ...), `["num", value]` (a plain
number operand), `[op, i]` or `[op, i, j]` (an operator of the op table, or a method: `tanh`).
"""

from __future__ import annotations

import math
import string
from dataclasses import dataclass, field

from ..autodiff import compiled
from ..errors import DomainError
from ..fmt import digits
from ..ops import OPS, at_kink
from ..parser import parse
from ..program import Run

#: How close a result must be: a relative tolerance, plus a sliver of the program's largest value
#: (or gradient), so that rounding in a sum that cancels to about 0 is not a disagreement.
RTOL, SCALED_ATOL = 1e-9, 1e-12

#: The operators, by op-table name, and their dunder methods' names (`__truediv__`, `__rtruediv__`).
DUNDERS = {name: op.python for name, op in OPS.items() if op.infix}

#: Python's precedence levels, which gradcli's grammar shares.
_PRECEDENCE = {"add": 1, "sub": 1, "mul": 2, "div": 2, "pow": 4}
_UNARY, _ATOM = 3, 5


@dataclass
class Program:
    """A case's program; `names` holds the leaves' names and any intermediate written as its own statement."""

    nodes: list = field(default_factory=list)
    names: dict[int, str] = field(default_factory=dict)
    title: str = ""  # how the report shows a program too long to write out

    def leaf(self, value: float, called: str | None = None) -> int:
        """An instance of the class; named a, b, c, ... in order unless `called` names it."""
        self.names[len(self.nodes)] = called or string.ascii_lowercase[len(self.leaves())]
        return self._add(["leaf", float(value)])

    def num(self, value: float) -> int:
        return self._add(["num", value])

    def op(self, name: str, *args: int, called: str | None = None) -> int:
        if called is not None:
            self.names[len(self.nodes)] = called
        return self._add([name, *args])

    def _add(self, node: list) -> int:
        self.nodes.append(node)
        return len(self.nodes) - 1

    def leaves(self) -> list[tuple[int, str]]:
        return [(i, self.names[i]) for i, node in enumerate(self.nodes) if node[0] == "leaf"]

    def ops(self) -> set[str]:
        return {node[0] for node in self.nodes if node[0] not in ("leaf", "num")}

    def request(self, actions=("backward",), deep: bool = False) -> dict:
        return {"kind": "case", "nodes": self.nodes, "actions": list(actions), "deep": deep}

    def pruned(self) -> Program:
        """The nodes the output depends on, renumbered; leaves are renamed a, b, ... in order."""
        keep = bytearray(len(self.nodes))
        keep[-1] = 1
        for i in range(len(self.nodes) - 1, -1, -1):
            if keep[i]:
                for a in self.nodes[i][1:] if self.nodes[i][0] not in ("leaf", "num") else ():
                    keep[a] = 1
        out, index = Program(title=self.title), {}
        for i, node in enumerate(self.nodes):
            if not keep[i]:
                continue
            if node[0] == "leaf":
                index[i] = out.leaf(node[1])  # renamed: a leaf the output does not use is gone
            elif node[0] == "num":
                index[i] = out.num(node[1])
            else:
                index[i] = out.op(node[0], *(index[a] for a in node[1:]), called=self.names.get(i))
        return out

    def python(self, cls: str) -> str:
        """`a = Value(3.0); out = a + a`: the program as the learner would run it."""
        if self.title:
            return self.title.format(cls=cls)
        leaves = [f"{name} = {cls}({self.nodes[i][1]!r})" for i, name in self.leaves()]
        return "; ".join(leaves + self._statements(python=True))

    def text(self) -> str:
        """The program in gradcli's language (its leaves are its variables)."""
        return "\n".join(self._statements(python=False))

    def _statements(self, python: bool) -> list[str]:
        """Each node written with as few parentheses as precedence allows; a named node, a node used
        twice and the output are statements of their own."""
        nodes, uses = self.nodes, [0] * len(self.nodes)
        for node in nodes:
            if node[0] not in ("leaf", "num"):
                for a in node[1:]:
                    uses[a] += 1
        texts, levels, statements, fresh = [], [], [], 0
        for i, node in enumerate(nodes):
            kind, args = node[0], node[1:]
            if kind == "leaf":
                text, level = self.names[i], _ATOM
            elif kind == "num":
                text, level = repr(node[1]), _UNARY if node[1] < 0 else _ATOM
            elif kind == "neg":
                text, level = "-" + _wrap(texts, levels, args[0], _UNARY + 1), _UNARY
            elif kind in _PRECEDENCE:
                level = _PRECEDENCE[kind]
                left, right = (_ATOM, _UNARY) if kind == "pow" else (level, level + 1)
                x, y = _wrap(texts, levels, args[0], left), _wrap(texts, levels, args[1], right)
                text = f"{x} {OPS[kind].symbol} {y}"
            elif python:
                text, level = f"{_wrap(texts, levels, args[0], _ATOM)}.{kind}()", _ATOM
            else:
                text, level = f"{kind}({texts[args[0]]})", _ATOM
            last = i == len(nodes) - 1
            if kind not in ("leaf", "num") and (i in self.names or uses[i] > 1 or last):
                if i in self.names:
                    name = self.names[i]
                elif last:
                    name = "out"
                else:
                    fresh += 1
                    name = f"t{fresh}"
                statements.append(f"{name} = {text}")
                text, level = name, _ATOM
            texts.append(text)
            levels.append(level)
        return statements


def _wrap(texts: list[str], levels: list[int], i: int, least: int) -> str:
    return texts[i] if levels[i] >= least else f"({texts[i]})"


@dataclass
class Expected:
    """gradcli's answer for a program: the output's value, each leaf's gradient, and the run itself."""

    value: float
    grads: list[float]
    run: Run
    leaves: list[int]  # each leaf's node in the run's graph, or -1 for a leaf the output does not use

    @property
    def value_scale(self) -> float:
        return max(map(abs, self.run.values))

    @property
    def grad_scale(self) -> float:
        return max(map(abs, self.run.grads))

    def at_kink(self) -> bool:
        """Is some op at a point where its derivative is only a convention (relu at 0)?"""
        values = self.run.values
        return any(at_kink(node.op, [values[a] for a in node.args]) for node in self.run.graph.nodes)

    def second_pass(self, keep_leaves: bool = True) -> list[float]:
        """Each leaf's grad after a second backward() that, as micrograd's does, sets the output's grad
        to 1 and passes on every other grad as the first pass left it (the leaves' own too, unless
        `keep_leaves` is false: zeroed leaves, stale intermediates). By linearity, this is the sum
        over nodes n of n's kept grad times d n / d leaf."""
        run, program = self.run, compiled(self.run.graph)
        leaves = set(self.leaves)
        totals = [0.0] * len(self.leaves)
        for n, grad in enumerate(run.grads):
            seed = 1.0 if n == run.output else grad
            if not seed or not run.depends[n] or (n in leaves and not keep_leaves):
                continue
            through = program.backward(run.values, n)
            for k, leaf in enumerate(self.leaves):
                if leaf >= 0:
                    totals[k] += seed * through[leaf]
        return totals


def expect(program: Program) -> Expected:
    """Parse the program's text with gradcli's parser and run gradcli's engine on it. Raises
    DomainError where gradcli cannot evaluate it or a gradient is not finite (log of a negative
    number, the exponent's derivative of (-1)**a): such a program judges no class."""
    graph = parse(program.text())
    bindings = {name: program.nodes[i][1] for i, name in program.leaves()}
    run = Run.of(graph, bindings, graph.output, strict=True)
    leaves = [graph.variables.get(name, -1) for _, name in program.leaves()]
    return Expected(run.values[run.output], [run.grads[v] if v >= 0 else 0.0 for v in leaves], run, leaves)


def judged(program: Program) -> Expected | None:
    """gradcli's expectation, or None at a point outside its domain or where a derivative is only a convention
    (relu at 0): such a program judges no class."""
    try:
        expected = expect(program)
    except DomainError:
        return None
    return None if expected.at_kink() else expected


def close(got: float, want: float, scale: float) -> bool:
    if got == want:
        return True
    if not (math.isfinite(got) and math.isfinite(want)):
        return False
    return abs(got - want) <= RTOL * max(abs(got), abs(want)) + SCALED_ATOL * scale


def differences(program: Program, expected: Expected, value: float, grads: list[float]) -> list[tuple]:
    """(what, expected, got) for the output's value and each leaf's grad that disagree."""
    found = []
    if not close(value, expected.value, expected.value_scale):
        found.append(("out", expected.value, value))
    for (_, name), want, got in zip(program.leaves(), expected.grads, grads):
        if not close(got, want, expected.grad_scale):
            found.append((f"{name}.grad", want, got))
    return found


def listing(pairs) -> str:
    """`a.grad = 2, b.grad = -3`."""
    return ", ".join(f"{what} = {digits(x)}" for what, x in pairs)
