"""Checking gradients: central finite differences, and the kinks where no difference can judge.

The numeric gradient re-runs the compiled forward program with one variable moved by a step
scaled to its value. Kinks are found through the op table (`Op.kink`), never by naming an op.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .engine import compiled
from .errors import DomainError
from .ops import OPS
from .program import Run

EPS, RTOL, ATOL = 1e-6, 1e-3, 1e-5  # PyTorch's gradcheck defaults


def kink(graph, values: list, i: int) -> str:
    """Why node i's local derivative is only a convention at these values ("" when it is not)."""
    node = graph.nodes[i]
    op = OPS.get(node.op)
    if op is None or op.kink is None:
        return ""
    return op.kink(*(values[a] for a in node.args)) or ""


def kinked_variables(run: Run) -> dict[int, int]:
    """variable node -> a kinked node it feeds, on a path to the output (one sweep, no recursion)."""
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


def central_difference(run: Run, var: int, eps: float = EPS) -> tuple[float | None, str]:
    """(f(x+h) - f(x-h)) / 2h with h = eps * max(1, |x|); one-sided where only one side is defined."""
    base, x = run.values, run.values[var]
    h = eps * max(1.0, abs(x))
    up, down = _output_at(run, x + h, var), _output_at(run, x - h, var)
    hi, lo = (x + h) - x, x - (x - h)  # the steps as the floats really took them
    name = run.graph.nodes[var].name
    if not (hi > 0 and lo > 0 and math.isfinite(hi + lo)):
        return None, f"the step h = {h:.1e} cannot move {name} = {x:g} both ways in a float; choose another --eps"
    if up is not None and down is not None:
        value, why = (up - down) / (hi + lo), ""
    elif up is None and down is None:
        return None, f"the program cannot be evaluated at {name} ± {h:.1e}"
    else:
        side, value = ("+", (up - base[run.output]) / hi) if up is not None else ("-", (base[run.output] - down) / lo)
        missing = "-" if side == "+" else "+"
        why = f"one-sided difference: the program cannot be evaluated at {name} {missing} {h:.1e}"
    if not math.isfinite(value):
        return None, f"the difference quotient overflows a float at {name} ± {h:.1e}; choose a smaller --eps"
    return value, why


def _output_at(run: Run, x: float, var: int) -> float | None:
    """The output with variable `var` set to x, or None where the program fails or overflows there."""
    values = list(run.values)
    values[var] = x
    try:
        out = compiled(run.graph).forward(values)[run.output]
    except DomainError:
        return None
    return out if math.isfinite(out) else None


@dataclass
class Row:
    """One variable's analytic gradient against a reference (finite difference or PyTorch)."""

    name: str
    analytic: float
    numeric: float | None
    abs_err: float | None
    rel_err: float | None
    ok: bool
    note: str = ""


def compare(name: str, analytic: float, numeric: float | None, rtol: float, atol: float, note: str = "") -> Row:
    """ok when |analytic - numeric| <= atol + rtol * max(|analytic|, |numeric|)."""
    if numeric is None:
        return Row(name, analytic, None, None, None, False, note)
    err = abs(analytic - numeric)
    scale = max(abs(analytic), abs(numeric))
    rel = err / scale if scale else 0.0
    return Row(name, analytic, numeric, err, rel, err <= atol + rtol * scale, note)


def kink_note(run: Run, at: int) -> str:
    """`relu has a kink at 0 (relu(x) at line 1, column 1)`."""
    return f"{kink(run.graph, run.values, at)} ({run.graph.where(at)})"


def check(run: Run, rtol: float = RTOL, atol: float = ATOL, eps: float = EPS, reference=None) -> list[Row]:
    """Every variable's analytic gradient against a central difference, or against `reference`
    (name -> gradient, e.g. PyTorch's). Against differences, a variable at a kink fails: the
    derivative there is a convention and a difference quotient does not measure it."""
    kinks = kinked_variables(run)
    rows = []
    for name, var in run.graph.variables.items():
        note = kink_note(run, kinks[var]) if var in kinks else ""
        if reference is not None:
            note += "; the derivative there is a convention, the same in PyTorch" if note else ""
            rows.append(compare(name, run.grads[var], reference[name], rtol, atol, note))
            continue
        if note:
            note += "; the derivative there is a convention that a finite difference cannot confirm"
        numeric, why = central_difference(run, var, eps)
        row = compare(name, run.grads[var], numeric, rtol, atol, "; ".join(filter(None, [note, why])))
        row.ok = row.ok and not note
        rows.append(row)
    return rows
