"""Number formatting shared by every view, and the note on a gradient that is infinite or undefined."""

from __future__ import annotations

import math

from ..autodiff import infinite


def number(value: float | None, precision: int = 4) -> str:
    """Fixed decimals for ordinary magnitudes, scientific notation for tiny or huge ones."""
    if value is None:
        return "—"
    if not math.isfinite(value):
        return infinite(value)
    if value == 0:
        return f"{0.0:.{precision}f}"
    if 1e-4 <= abs(value) < 1e9:
        text = f"{value:.{precision}f}"
        if float(text) != 0:
            return text
    return f"{value:.{precision}e}"


def finite(value: float | None) -> float | None:
    """The value for JSON: None where it is not a finite number."""
    return value if value is None or math.isfinite(value) else None


def undefined_note(run) -> str:
    """`dy/dp is undefined: the derivative of x**p ... in p is x**p*log(x), undefined at x = -2, p = 2`,
    for the first gradient that is infinite or undefined ("" when all are finite)."""
    if not run.notes:
        return ""
    labels = run.graph.labels()
    note, more = run.notes[0], len(run.notes) - 1
    text = f"d{labels[run.output]}/d{labels[note.node]} is {infinite(run.grads[note.node])}: {note.reason}"
    if more:
        text += f" (and {more:,} more)"
    return text
