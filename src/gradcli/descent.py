"""Gradient descent on one compiled graph: `v -= lr * d output / d v`, then a fresh forward pass;
or Newton's method, `v -= lr * H^-1 g` over the moving variables (`hessian.Newton`).

The graph is compiled once and re-run for every step. A step that fails or makes the output or a
moving variable non-finite (or Ctrl-C) stops the descent at the last finite state, and the failing
step is replayed on the checked float path of the engine to say why.
"""

from __future__ import annotations

import math
import time
from array import array
from operator import itemgetter

from .autodiff import backward_pass, compiled, evaluate, gradients
from .errors import DomainError, EvalError, InputError, UnknownVariable, listing, shorten
from .fmt import infinite
from .graph import Graph
from .interrupts import shielded
from .program import Run


def moving(graph: Graph, wrt: tuple[str, ...], freeze: tuple[str, ...]) -> list[int]:
    """The variables that move: all of them, only `wrt`, or all but `freeze` (each item a list A,B)."""
    if wrt and freeze:
        raise InputError("give --wrt or --freeze, not both")
    option, names = ("--wrt", set()) if wrt else ("--freeze", set())
    for item in wrt or freeze:
        for name in item.split(","):
            name = name.strip()
            if name not in graph.variables:
                raise InputError(f"{option} {shorten(item)}: {_not_a_variable(graph, name)}")
            names.add(name)
    chosen = [i for n, i in graph.variables.items() if (n in names) == bool(wrt)]
    if not chosen:
        why = "the program has no variables" if not graph.variables else "every variable is frozen"
        raise InputError(f"nothing to move: {why}")
    return chosen


def _not_a_variable(graph: Graph, name: str) -> str:
    if not name:
        return f"a name is missing (its variables: {listing(graph.variables)})"
    return str(UnknownVariable(name, list(graph.variables), name in graph.named))


def checkpoints(steps: int) -> list[int]:
    """Steps worth showing in the summary: 0, 1, 2, 5, 10, 20, 50, ... and the last."""
    points, scale = [0], 1
    while scale < steps:
        points += [k * scale for k in (1, 2, 5) if k * scale < steps]
        scale *= 10
    return points + [steps]


def next_checkpoint(step: int) -> int:
    """The first of 1, 2, 5, 10, 20, 50, ... after `step`."""
    scale = 1
    while True:
        for k in (1, 2, 5):
            if k * scale > step:
                return k * scale
        scale *= 10


class History:
    """The output before each step, then after the last: every value in a compact array of doubles
    (`every`, for JSON), or only the steps a summary shows (`checkpoints`) and the last.
    Descent's hot loop appends to it inline."""

    def __init__(self, first: float, every: bool):
        self.every, self.steps, self.last = every, 0, first
        self.all = array("d", [first]) if every else None
        self.kept = {0: first}  # without `every`: the value at each checkpoint step passed so far
        self.next = 1  # the next checkpoint step

    def __len__(self) -> int:
        return self.steps + 1

    def __getitem__(self, step: int) -> float:
        """The output at `step` (-1: the last); without `every`, only a checkpoint or the last is kept."""
        if step in (-1, self.steps):
            return self.last
        return self.all[step] if self.every else self.kept[step]

    def cut(self, step: int, value: float) -> None:
        """Make `value` the output after `step`, forgetting the steps after it."""
        self.steps, self.last = step, value
        if self.every:
            del self.all[step:]
            self.all.append(value)
        else:
            self.kept = {k: v for k, v in self.kept.items() if k < step}
            self.next = next_checkpoint(step)
            if step == 0 or next_checkpoint(step - 1) == step:
                self.kept[step] = value


class Descent:
    """Runs the steps and keeps what a report needs: the start, the current state, the output history.

    A variable whose gradient at the start is infinite or undefined is `held`: it does not move
    (there is nowhere to go), and the others do; when none can move the descent is an error.
    """

    def __init__(
        self, graph: Graph, bindings: dict[str, float], output: int, lr: float, moving: list[int],
        every: bool = True, strict: bool = False, trail: bool = False, method: str = "gd",
    ):  # fmt: skip
        self.graph, self.output, self.lr, self.method = graph, output, lr, method
        self.label = graph.labels()[output]  # what reports call the output (an unnamed one is `out`)
        self.program = compiled(graph)
        self.start = Run.of(graph, bindings, output, strict)  # checked: a failure here is an ordinary error
        grads = self.start.grads
        self.held = [i for i in moving if not math.isfinite(grads[i])]
        self.moving = [i for i in moving if math.isfinite(grads[i])]
        if not self.moving:
            raise EvalError(f"nothing can move: {self.why_held()}")
        self.newton = None
        if method == "newton":
            from .hessian import Newton

            self.newton = Newton(graph, output, self.moving)
            self._deltas(self.start.values, grads)  # no Newton step from the start: an error, before any report
        self.values = list(self.start.values)
        self.history = History(self.values[output], every)  # the output before each step, then after the last
        self.last = (0, [self.values[i] for i in self.moving])  # the last finite state: step, moving values
        self.trail = [self.last[1]] if trail else None  # with `trail`, the moving values after each step
        self.problem: str | None = None  # why a step failed ("" until diagnosed)
        self.interrupted = False

    @property
    def steps(self) -> int:
        """How many steps are done."""
        return self.history.steps

    def why_held(self) -> str:
        """`x is not moved: dy/dx is inf: the derivative of sqrt(x) ...`, for each held variable."""
        labels, grads, out = self.graph.labels(), self.start.grads, self.label
        return "; ".join(
            f"{labels[i]} is not moved: d{out}/d{labels[i]} is {infinite(grads[i])}: {self._reason(self.start, i)}"
            for i in self.held
        )

    def _reason(self, run: Run, i: int) -> str:
        """Why variable i's gradient is infinite or undefined, from the run's notes."""
        return next((n.reason for n in run.notes if n.node == i), run.notes[0].reason if run.notes else "")

    def bindings(self, values: list[float] | None = None) -> dict[str, float]:
        values = self.values if values is None else values
        return {name: values[i] for name, i in self.graph.variables.items()}

    def _deltas(self, values: list[float], grads: list[float]) -> list[float]:
        """How far each moving variable goes back: lr times its gradient, or lr times Newton's
        direction (a `NoNewtonStep` where there is none)."""
        lr, moving = self.lr, self.moving
        if self.newton is None:
            return [lr * grads[i] for i in moving]
        return [lr * d for d in self.newton.direction(self.bindings(values), [grads[i] for i in moving])]

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
        """The hot loop: n steps, or fewer when one fails (then `problem` is set to "").

        A step is the engine's backward loop (`backward_pass`), the update and the engine's forward
        pass, written out here over the compiled program (`Compiled.forward` without its calls and
        checks): on a graph of a few nodes, those are most of a step's cost. An op that fails, or a
        result that is not finite, stops it; `_diagnose` then replays that step on the engine's
        checked path to say why.
        """
        values, output, lr, moving = self.values, self.output, self.lr, self.moving
        forward, backward = self.program.forward_program, self.program.backward_program(output)
        size, isfinite = len(values), math.isfinite
        history = self.history
        every, kept, due = history.all, history.kept, history.next  # History.append, inline: the hot path
        trail, last, newton = self.trail, self.last, self.newton is not None
        # The moving values as a tuple, taken in C (a list comprehension is a call of its own).
        pick = itemgetter(*moving) if len(moving) > 1 else lambda values, i=moving[0]: (values[i],)
        seed = [0.0] * size
        seed[output] = 1.0
        done = value = None
        try:
            for step in range(self.steps + 1, self.steps + 1 + n):
                grads = seed[:]
                try:
                    backward_pass(backward, values, grads)
                    if newton:  # a Newton step: the Hessian's solve, whose own errors say why it cannot move
                        for i, delta in zip(moving, self._deltas(values, grads)):
                            values[i] -= delta
                    else:
                        for i in moving:
                            values[i] -= lr * grads[i]
                    for i, f, a, b in forward:
                        values[i] = f(values[a]) if b is None else f(values[a], values[b])
                except (DomainError, ArithmeticError, ValueError):  # _diagnose says why
                    self.problem = ""
                    return
                except EvalError as exc:  # Newton's method: no step from here, and why
                    self.problem = str(exc)
                    return
                state = pick(values)
                now = values[output]
                # A sum is finite only when every term is (though a sum of finite terms may overflow).
                if not isfinite(now + sum(state)) and not (isfinite(now) and all(map(isfinite, state))):
                    self.problem = ""
                    return
                last = (step, state)
                if trail is not None:
                    trail.append(list(state))
                done, value = step, now
                if every is not None:
                    every.append(value)
                elif step == due:
                    kept[step] = value
                    due = next_checkpoint(step)
        finally:
            self.last = last
            if done is not None:
                history.steps, history.last, history.next = done, value, due

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
            self.history.cut(step, self.values[self.output])
            if self.trail is not None:
                del self.trail[step + 1 :]

    def _diagnose(self) -> str:
        """Why the step after the last finite state failed: replay it on the engine's checked path."""
        graph, label, out = self.graph, self.graph.labels(), self.label
        try:
            grads = gradients(graph, self.values, self.output)
            run = Run(graph, self.bindings(), self.output, self.values, grads)
            for i in self.moving:
                if not math.isfinite(grads[i]):
                    return f"d{out}/d{label[i]} became {infinite(grads[i])}: {self._reason(run, i)}"
            after = self.bindings()
            for i, delta in zip(self.moving, self._deltas(self.values, grads)):
                name = label[i]
                after[name] -= delta
                if not math.isfinite(after[name]):
                    update = f"Newton's update for {name}" if self.newton else f"the update lr * d{out}/d{name}"
                    return f"{name} became {after[name]} ({update} is {delta:.6g})"
            values = evaluate(graph, after)
        except EvalError as exc:
            return str(exc)
        return f"{out} became {values[self.output]}"

    def now(self) -> Run:
        """The current state as a Run (values and fresh gradients), for drawing the graph."""
        grads = self.program.backward(self.values, self.output)
        return Run(self.graph, self.bindings(), self.output, list(self.values), grads)
