"""The engine: forward over the node list, backward over it reversed. The engine names no op.

A graph is compiled once into two flat programs (`Compiled`), which can be re-run for every
descent step. Values may be floats or numpy arrays (a whole batch at a time); the op table
decides which. `evaluate` and `gradients` are the float path: a value that fails is an error
that points at the source; a gradient that is infinite or undefined is inf or nan, as in PyTorch,
and `gradient_notes` says where it starts and why.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from .collector import collector_paused
from .errors import DomainError
from .graph import Graph
from .ops import OPS, OVERFLOW


class Compiled:
    """A graph turned into a forward program and, per output, a backward program."""

    def __init__(self, graph: Graph, ops=OPS):
        with collector_paused():
            self._compile(graph, ops)

    def _compile(self, graph: Graph, ops) -> None:
        self.graph, self.ops = graph, ops
        nodes, forward = graph.nodes, {name: op.forward for name, op in ops.items()}
        self.start = [node.value for node in nodes]  # initial values: constants and variable defaults
        self.depends = depends = [False] * len(nodes)  # does the node depend on a variable (need a gradient)?
        self.forward_program = program = []  # (node, forward function, first arg, second arg or None)
        self._backward: dict[int, list] = {}
        for i, node in enumerate(nodes):
            args = node.args
            if not args:
                depends[i] = node.op == "var"
            elif len(args) == 1:
                a = args[0]
                program.append((i, forward[node.op], a, None))
                depends[i] = depends[a]
            else:
                a, b = args
                program.append((i, forward[node.op], a, b))
                depends[i] = depends[a] or depends[b]

    def values(self, bindings: dict[str, object]) -> list:
        """Initial values with the variables bound (by name), ready for `forward`."""
        values = list(self.start)
        for name, i in self.graph.variables.items():
            if name in bindings:
                values[i] = bindings[name]
        return values

    def forward(self, values: list) -> list:
        """Compute every node in place; returns `values`."""
        i = -1
        try:
            for i, f, a, b in self.forward_program:
                values[i] = f(values[a]) if b is None else f(values[a], values[b])
        except (ArithmeticError, ValueError) as exc:
            raise _failure(self, values, i, exc) from None
        return values

    def backward_program(self, output: int) -> list:
        """(node, arg, d/d arg or None, arg2, d/d arg2 or None), output first, for nodes feeding `output`."""
        program = self._backward.get(output)
        if program is None:
            with collector_paused():
                program = self._backward[output] = self._backward_program(output)
        return program

    def _backward_program(self, output: int) -> list:
        """The backward program of `output`: its ancestors that depend on a variable, last first."""
        nodes, depends = self.graph.nodes, self.depends
        derivs = {name: op.derivs for name, op in self.ops.items()}
        reach = bytearray(len(nodes))
        reach[output] = 1
        program = []
        for i in range(output, -1, -1):
            if not reach[i] or not depends[i]:
                continue
            node = nodes[i]
            args = node.args
            if len(args) == 1:
                a = args[0]
                reach[a] = 1
                program.append((i, a, derivs[node.op][0], None, None))  # a depends, as i does
            elif args:
                a, b = args
                reach[a] = reach[b] = 1
                da, db = derivs[node.op]
                program.append((i, a, da if depends[a] else None, b, db if depends[b] else None))
        return program

    def backward(self, values: list, output: int, seed=1.0) -> list:
        """d output / d node for every node (0 for nodes that do not feed the output)."""
        grads = [0.0] * len(values)
        grads[output] = seed
        try:
            backward_pass(self.backward_program(output), values, grads)
        except (ArithmeticError, ValueError) as exc:
            raise _failure(self, values, exc.node, exc, derivative=True) from None
        return grads


def backward_pass(program: list, values: list, grads: list) -> None:
    """Run a backward program (`Compiled.backward_program`) at `values`, adding into `grads` (seeded at
    the output) in place: the engine's one backward loop, which step's descent runs too. An op that
    fails raises its ArithmeticError or ValueError with `.node`, the node whose derivative it was."""
    i = -1
    try:
        for i, a, da, b, db in program:
            g = grads[i]
            out = values[i]
            if b is None:
                grads[a] += da(values[a], out) * g
                continue
            x, y = values[a], values[b]
            if da is not None:
                grads[a] += da(x, y, out) * g
            if db is not None:
                grads[b] += db(x, y, out) * g
    except (ArithmeticError, ValueError) as exc:
        exc.node = i
        raise


def compiled(graph: Graph) -> Compiled:
    """The graph's float program, compiled once and kept on the graph."""
    if graph.compiled is None:
        graph.compiled = Compiled(graph)
    return graph.compiled


def evaluate(graph: Graph, bindings: dict[str, float]) -> list[float]:
    """Every node's value; a failing op raises DomainError naming it and its place."""
    program = compiled(graph)
    values = program.forward(program.values(bindings))
    _check_finite(program, values)
    return values


def gradients(graph: Graph, values: list[float], output: int | None = None) -> list[float]:
    """d output / d node for every node; one that is infinite or undefined is inf or nan (see `gradient_notes`)."""
    program = compiled(graph)
    return program.backward(values, graph.output if output is None else output)


class Note(NamedTuple):
    """Where a gradient becomes infinite or undefined, and why."""

    node: int  # the node whose gradient it enters
    via: int  # the node whose local derivative (or its product with the gradient above) is not finite
    reason: str


def gradient_notes(graph: Graph, values: list, grads: list, output: int) -> list[Note]:
    """Each node whose gradient becomes inf or nan where it first does, in node order (empty when all are finite).

    A local derivative that is infinite or undefined starts one (sqrt at 0, log of a negative base
    in x**y), and so does a product or a sum of finite numbers that overflows; one carried from
    the node above is noted there, not again.
    """
    if all(map(math.isfinite, grads)):
        return []
    program, nodes = compiled(graph), graph.nodes
    labels = graph.labels()
    found: dict[int, Note] = {}
    entered = bytearray(len(grads))  # a non-finite contribution reached the node
    for i, a, da, b, db in program.backward_program(output):
        g, args = grads[i], nodes[i].args
        for k, (arg, d) in enumerate(((a, da), (b, db))):
            if d is None:
                continue
            local = d(values[a], values[i]) if b is None else d(values[a], values[b], values[i])
            if math.isfinite(local * g):
                continue
            entered[arg] = 1
            if arg in found or (math.isfinite(local) and not math.isfinite(g)):
                continue  # noted already, or carried from the node above
            op = program.ops[nodes[i].op]
            where = f"the derivative of {graph.where(i)}" + (f" in {labels[arg]}" if len(args) > 1 else "")
            if math.isfinite(local):
                reason = f"{where} is {local:.6g}, times the gradient {g:.6g} above it overflows a float"
            else:
                formula = op.formula(k).replace("{x}", labels[args[0]]).replace("{y}", labels[args[-1]])
                at = ", ".join(f"{labels[j]} = {values[j]:.6g}" for j in dict.fromkeys(args) if nodes[j].op != "const")
                reason = f"{where} is {formula}, {'undefined' if math.isnan(local) else 'infinite'} at {at}"
            found[arg] = Note(arg, i, reason)
    for i, g in enumerate(grads):
        if not math.isfinite(g) and not entered[i]:  # every path is finite but their sum is not
            found[i] = Note(i, i, "the gradients along its paths are finite, but their sum overflows a float")
    return sorted(found.values())


def _check_finite(program: Compiled, values: list) -> None:
    """Raise DomainError at the op that first made a value inf or nan."""
    if all(map(math.isfinite, values)):
        return
    first = next(i for i, v in enumerate(values) if not math.isfinite(v))
    reason = OVERFLOW if math.isinf(values[first]) else "not a number"
    raise _failure(program, values, first, reason=reason)


def undefined_error(graph: Graph, values: list, note: Note) -> DomainError:
    """The error `--strict` makes of a gradient that is infinite or undefined."""
    return _failure(compiled(graph), values, note.via, derivative=True)


def _failure(program: Compiled, values: list, i: int, exc=None, reason: str = "", derivative=False) -> DomainError:
    """A DomainError naming node i's op, its place in the source and its arguments."""
    graph = program.graph
    node = graph.nodes[i]
    args = " and ".join(f"{values[a]:.6g}" for a in node.args) or "this point"
    if derivative:
        return DomainError(f"the derivative of {graph.where(i)} is infinite or undefined at {args}", i)
    if not reason:
        reason = program.ops[node.op].failure(exc, [values[a] for a in node.args])
    return DomainError(f"{graph.where(i)}: {reason} (got {args})", i)
