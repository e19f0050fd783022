"""Gradient descent on one compiled graph: `v -= lr * d output / d v`, then a fresh forward pass.

The graph is compiled once and re-run for every step. A step that fails or makes the output or a
moving variable non-finite (or Ctrl-C) stops the descent at the last finite state, and the failing
step is replayed on the checked float path of the engine to say why.
"""

from __future__ import annotations

import difflib
import math
import time

from .engine import compiled, evaluate, gradients
from .errors import DomainError, InputError
from .graph import Graph
from .interrupts import shielded
from .program import Run, parse_number


def learning_rate(text: str) -> float:
    """A positive finite learning rate; a negative one (ascent) or zero is an input error."""
    lr = parse_number(text, "--lr")
    if lr <= 0:
        raise InputError(f"--lr must be positive (got {text}); to climb instead, negate the program's output")
    return lr


def moving(graph: Graph, wrt: tuple[str, ...], freeze: tuple[str, ...]) -> list[int]:
    """The variables that move: all of them, only `wrt`, or all but `freeze` (each item a list A,B)."""
    if wrt and freeze:
        raise InputError("give --wrt or --freeze, not both")
    option, names = ("--wrt", set()) if wrt else ("--freeze", set())
    for item in wrt or freeze:
        for name in item.split(","):
            name = name.strip()
            if name not in graph.variables:
                raise InputError(f"{option} {item}: {_not_a_variable(graph, name)}")
            names.add(name)
    chosen = [i for n, i in graph.variables.items() if (n in names) == bool(wrt)]
    if not chosen:
        why = "the program has no variables" if not graph.variables else "every variable is frozen"
        raise InputError(f"nothing to move: {why}")
    return chosen


def _not_a_variable(graph: Graph, name: str) -> str:
    listed = f"(its variables: {', '.join(graph.variables) or 'none'})"
    if not name:
        return f"a name is missing {listed}"
    if name in graph.named:
        return f"{name} is computed by the program, not a variable {listed}"
    close = difflib.get_close_matches(name, graph.variables, n=1)
    hint = f"; did you mean {close[0]}?" if close else ""
    return f"{name} is not a variable of the program{hint} {listed}"


class Descent:
    """Runs the steps and keeps what a report needs: the start, the current state, the output history."""

    def __init__(self, graph: Graph, bindings: dict[str, float], output: int, lr: float, moving: list[int]):
        self.graph, self.output, self.lr, self.moving = graph, output, lr, moving
        self.label = graph.labels()[output]  # what reports call the output (an unnamed one is `out`)
        self.program = compiled(graph)
        self.start = Run.of(graph, bindings, output)  # checked: a failure here is an ordinary error
        self.values = list(self.start.values)
        self.history = [self.values[output]]  # the output before each step, then after the last
        self.last = (0, [self.values[i] for i in moving])  # the last finite state: step, moving values
        self.problem: str | None = None  # why a step failed ("" until diagnosed)
        self.interrupted = False

    @property
    def steps(self) -> int:
        """How many steps are done."""
        return len(self.history) - 1

    def bindings(self) -> dict[str, float]:
        return {name: self.values[i] for name, i in self.graph.variables.items()}

    def run(self, steps: int, each=None) -> None:
        """Take up to `steps` more steps, calling `each(self)` now and then (if given) to show progress."""
        goal = self.steps + steps
        chunk = 1 if each else steps
        try:
            while self.steps < goal and self.problem is None and not self.interrupted:
                began = time.perf_counter()
                self._advance(min(chunk, goal - self.steps))
                if each:
                    each(self)
                    if time.perf_counter() - began < 0.02:
                        chunk *= 2
        except KeyboardInterrupt:
            self.interrupted = True
        if self.problem is not None or self.interrupted:
            self._restore()
        if self.problem == "":
            self.problem = self._diagnose()

    def _advance(self, n: int) -> None:
        """The hot loop: n steps, or fewer when one fails (then `problem` is set to "")."""
        values, output, lr, moving = self.values, self.output, self.lr, self.moving
        backward, forward, history, isfinite = self.program.backward, self.program.forward, self.history, math.isfinite
        first = self.steps + 1
        for step in range(first, first + n):
            try:
                grads = backward(values, output)
                for i in moving:
                    values[i] -= lr * grads[i]
                forward(values)
            except DomainError:
                self.problem = ""
                return
            state = [values[i] for i in moving]
            if not (isfinite(values[output]) and all(map(isfinite, state))):
                self.problem = ""
                return
            self.last = (step, state)
            history.append(values[output])

    def stop(self) -> None:
        """Ctrl-C (or SIGTERM, SIGHUP) landed outside the steps' own loop: back to the last whole step."""
        self.interrupted = True
        self._restore()

    def _restore(self) -> None:
        """Go back to the last finite state (wherever a Ctrl-C landed) and make the history match it."""
        with shielded():  # runs whole: a second signal waits until the state is consistent
            step, state = self.last
            for i, value in zip(self.moving, state, strict=True):
                self.values[i] = value
            self.program.forward(self.values)
            self.history[step:] = [self.values[self.output]]

    def _diagnose(self) -> str:
        """Why the step after the last finite state failed: replay it on the engine's checked path."""
        graph, label, out = self.graph, self.graph.labels(), self.label
        try:
            grads = gradients(graph, self.values, self.output)
            after = self.bindings()
            for i in self.moving:
                name = label[i]
                after[name] -= self.lr * grads[i]
                if not math.isfinite(after[name]):
                    return f"{name} became {after[name]} (the update lr * d{out}/d{name} is {self.lr * grads[i]:.6g})"
            values = evaluate(graph, after)
        except DomainError as exc:
            return str(exc)
        return f"{out} became {values[self.output]}"

    def now(self) -> Run:
        """The current state as a Run (values and fresh gradients), for drawing the graph."""
        grads = self.program.backward(self.values, self.output)
        return Run(self.graph, self.bindings(), self.output, list(self.values), grads)
