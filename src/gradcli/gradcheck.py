"""Checking gradients: central finite differences, and the kinks where no difference can judge.

The numeric gradient re-runs the compiled forward program with one variable moved by a step
scaled to its value. At a kink (read from the op table's `Op.kink`, by `ops.kink_side`) or within
the step of one, the derivative there is a convention: the analytic value passes as `kink` when
it lies between the one-sided differences (a subgradient), and fails outside them. Past
EACH_MOST node evaluations, the program is checked along a few random directions at once
(PyTorch gradcheck's fast mode) instead of one variable at a time.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from .autodiff import compiled
from .errors import DomainError
from .fmt import infinite
from .ops import at_kink, kink_side
from .program import Run

EPS, RTOL, ATOL = 1e-6, 1e-3, 1e-5  # PyTorch's gradcheck defaults
EACH_MOST = 10_000_000  # node evaluations (2 per variable per node) past which check goes by directions
DIRECTIONS = 3


def _kink(graph, values: list, i: int) -> tuple[float, str] | None:
    """(which side of its kink node i's arguments are on, 0 at it; why it is a kink), or None."""
    node = graph.nodes[i]
    return kink_side(node.op, [values[a] for a in node.args])


def kink(graph, values: list, i: int) -> str:
    """Why node i's local derivative is only a convention at these values ("" when it is not)."""
    node = graph.nodes[i]
    return at_kink(node.op, [values[a] for a in node.args])


@dataclass
class Row:
    """One variable's (or direction's) analytic gradient against a reference (finite difference or PyTorch)."""

    name: str
    analytic: float
    numeric: float | None
    abs_err: float | None
    rel_err: float | None
    ok: bool  # not a failure: status ok or kink
    note: str = ""
    status: str = "ok"  # ok, kink (a subgradient at a kink) or FAIL


def compare(name: str, analytic: float, numeric: float | None, rtol: float, atol: float, note: str = "") -> Row:
    """ok when |analytic - numeric| <= atol + rtol * max(|analytic|, |numeric|)."""
    if numeric is None or not math.isfinite(analytic):
        return Row(name, analytic, numeric, None, None, False, note, "FAIL")
    err = abs(analytic - numeric)
    scale = max(abs(analytic), abs(numeric))
    rel = err / scale if scale else 0.0
    ok = err <= atol + rtol * scale
    return Row(name, analytic, numeric, err, rel, ok, note, "ok" if ok else "FAIL")


@dataclass
class _Probe:
    """A move of some variables up and down from the point, and what a difference quotient divides by."""

    name: str
    analytic: float
    up: dict[int, float]  # variable -> its value one step up
    down: dict[int, float]
    right: float  # f(up) - f(point) is divided by this; f(point) - f(down) by `left`
    left: float
    where: str  # how a note names the move: "x ± 1.0e-06"
    problem: str = ""  # why the move cannot be made


class _Checker:
    """Probes one Run: the forward program at moved points, the kinks on the way, the verdict."""

    def __init__(self, run: Run, rtol: float, atol: float):
        self.run, self.rtol, self.atol = run, rtol, atol
        self.program = compiled(run.graph)
        on_path = run.feeds
        self.kinks = [i for i in range(len(run.graph.nodes)) if on_path[i] and _kink(run.graph, run.values, i)]

    def values_at(self, moved: dict[int, float]) -> list | None:
        """Every node's value with the variables moved, or None where the program fails or the output overflows."""
        values = list(self.run.values)
        for var, x in moved.items():
            values[var] = x
        try:
            out = self.program.forward(values)[self.run.output]
        except DomainError:
            return None
        return values if math.isfinite(out) else None

    def crossed(self, points: list[list]) -> int | None:
        """The first kink on the way to the output that the move reaches or steps over."""
        base, nodes = self.run.values, self.run.graph.nodes
        for i in self.kinks:
            if all(p[a] == base[a] for p in points for a in nodes[i].args):
                continue  # the move does not reach this kink
            sides = [_kink(self.run.graph, p, i)[0] for p in [base, *points]]
            if 0 in sides or len({s > 0 for s in sides}) > 1:
                return i
        return None

    def judge(self, p: _Probe) -> Row:
        run, out = self.run, self.run.output
        f0 = run.values[out]
        if p.problem:
            return self.compare(p, None, p.problem)
        up, down = self.values_at(p.up), self.values_at(p.down)
        if up is None and down is None:
            return self.compare(p, None, f"the program cannot be evaluated at {p.where}")
        quotients = []  # one-sided differences: (f(point) - f(down)) / left, (f(up) - f(point)) / right
        if down is not None:
            quotients.append((f0 - down[out]) / p.left)
        if up is not None:
            quotients.append((up[out] - f0) / p.right)
        why = ""
        if up is not None and down is not None:
            numeric = (up[out] - down[out]) / (p.right + p.left)
        else:
            numeric = quotients[0]
            missing = p.where.replace("±", "-" if down is None else "+")
            why = f"one-sided difference: the program cannot be evaluated at {missing}"
        if not all(map(math.isfinite, [numeric, *quotients])):
            return self.compare(
                p, None, f"the difference quotient overflows a float at {p.where}; choose a smaller --eps"
            )
        at = self.crossed([v for v in (up, down) if v is not None])
        if at is None or not math.isfinite(p.analytic):
            return self.compare(p, numeric, why)
        return self._at_kink(p, numeric, quotients, at, why)

    def compare(self, p: _Probe, numeric: float | None, note: str) -> Row:
        return compare(p.name, p.analytic, numeric, self.rtol, self.atol, note)

    def _at_kink(self, p: _Probe, numeric: float, quotients: list[float], at: int, why: str) -> Row:
        """Within the step of a kink: a kink when the analytic value lies between the one-sided differences."""
        graph = self.run.graph
        lo, hi = min(quotients), max(quotients)
        slack = self.atol + self.rtol * max(abs(lo), abs(hi), abs(p.analytic))
        between = lo - slack <= p.analytic <= hi + slack
        reason = kink(graph, self.run.values, at) or f"{_kink(graph, self.run.values, at)[1]} within the step"
        sides = " and ".join(dict.fromkeys(f"{q:.6g}" for q in quotients))
        verdict = "between" if between else "outside"
        note = f"{reason} ({graph.where(at)}): {p.analytic:.6g} lies {verdict} the one-sided differences {sides}"
        if between:
            note += ", a subgradient (PyTorch's convention)"
        row = self.compare(p, numeric, "; ".join(filter(None, [note, why])))
        row.ok, row.status = between, "kink" if between else "FAIL"
        return row


def each_variable(run: Run, eps: float) -> list[_Probe]:
    """One probe per variable: x ± h with h = eps * max(1, |x|), the steps as the floats really took them."""
    probes = []
    for name, var in run.graph.variables.items():
        x = run.values[var]
        h = eps * max(1.0, abs(x))
        hi, lo = (x + h) - x, x - (x - h)
        problem = ""
        if not (hi > 0 and lo > 0 and math.isfinite(hi + lo)):
            problem = f"the step h = {h:.1e} cannot move {name} = {x:g} both ways in a float; choose another --eps"
        probes.append(_Probe(name, run.grads[var], {var: x + h}, {var: x - h}, hi, lo, f"{name} ± {h:.1e}", problem))
    return probes


def directions(run: Run, eps: float, count: int = DIRECTIONS, seed: int = 0) -> list[_Probe]:
    """`count` probes along random unit directions u, each variable's step scaled as one variable's is:
    x_i ± eps * max(1, |x_i|) * u_i; the analytic value is the gradient along the same steps."""
    rng = random.Random(seed)
    variables = list(run.graph.variables.values())
    probes = []
    for k in range(1, count + 1):
        u = [rng.gauss(0.0, 1.0) for _ in variables]
        norm = math.sqrt(sum(c * c for c in u)) or 1.0
        up, down, analytic = {}, {}, 0.0
        for var, c in zip(variables, u, strict=True):
            x = run.values[var]
            step = eps * max(1.0, abs(x)) * c / norm
            up[var], down[var] = x + step, x - step
            analytic += run.grads[var] * ((x + step) - (x - step))
        probes.append(_Probe(f"direction {k}", analytic / (2 * eps), up, down, eps, eps, f"the point ± {eps:g} * u{k}"))
    return probes


def by_directions(run: Run, each: bool = False) -> bool:
    """Whether check goes along random directions: when one variable at a time would cost more than
    EACH_MOST node evaluations (and --each does not ask for it anyway)."""
    count = len(run.graph.variables)
    return not each and count > DIRECTIONS and 2 * count * len(run.graph.nodes) > EACH_MOST


def check(run: Run, rtol: float = RTOL, atol: float = ATOL, eps: float = EPS, reference=None, each=False) -> list[Row]:
    """Every variable's analytic gradient against a central difference, or against `reference`
    (name -> gradient, e.g. PyTorch's); along random directions when `by_directions`."""
    if reference is not None:
        kinks = _kinked_variables(run)
        return [
            _against(run, name, var, reference[name], rtol, atol, kinks.get(var))
            for name, var in run.graph.variables.items()
        ]
    checker = _Checker(run, rtol, atol)
    rows = []
    for p in directions(run, eps) if by_directions(run, each) else each_variable(run, eps):
        row = checker.judge(p)
        if not math.isfinite(p.analytic):
            cannot = "a finite difference cannot confirm a gradient that is not finite"
            row.note = "; ".join(filter(None, [_undefined(run, p.name), cannot, row.note]))
        rows.append(row)
    return rows


def _against(run: Run, name: str, var: int, theirs: float, rtol: float, atol: float, at: int | None) -> Row:
    """A gradient against PyTorch's: the kink conventions are shared, and so are infinite or undefined values."""
    mine = run.grads[var]
    if not math.isfinite(mine) and not math.isfinite(theirs) and infinite(mine) == infinite(theirs):
        return Row(name, mine, theirs, None, None, True, f"{_undefined(run, name)}; {infinite(mine)} in PyTorch too")
    note = ""
    if at is not None:
        note = f"{kink(run.graph, run.values, at)} ({run.graph.where(at)}); the derivative there is a convention, "
        note += "the same in PyTorch"
    row = compare(name, mine, theirs, rtol, atol, note)
    if not math.isfinite(mine):
        row.note = "; ".join(filter(None, [_undefined(run, name), row.note]))
    return row


def _kinked_variables(run: Run) -> dict[int, int]:
    """variable node -> a node at a kink that it feeds, on a path to the output (one sweep, no recursion)."""
    graph, nodes = run.graph, run.graph.nodes
    found: list[int | None] = [None] * len(nodes)
    for i, *_ in compiled(graph).backward_program(run.output):
        here = found[i]
        if here is None and kink(graph, run.values, i):
            here = i
        if here is not None:
            for a in nodes[i].args:
                if found[a] is None:
                    found[a] = here
    return {v: found[v] for v in graph.variables.values() if found[v] is not None}


def _undefined(run: Run, name: str) -> str:
    """Why a gradient is infinite or undefined, from the run's notes (a difference cannot confirm it)."""
    labels = run.graph.labels()
    reasons = [n.reason for n in run.notes if labels[n.node] == name] or [n.reason for n in run.notes[:1]]
    return "; ".join(reasons)
