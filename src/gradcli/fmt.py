"""How gradcli writes numbers, in every table, picture, derivation and message: the one number formatter.

JSON is not written here: a record keeps floats at full precision (`views/records.py`).
"""

from __future__ import annotations

import math


def infinite(value: float) -> str:
    """How a gradient that is not a finite number is written: `inf`, `-inf`, or `undefined` (nan)."""
    return "undefined" if math.isnan(value) else "inf" if value > 0 else "-inf"


def number(value: float | None, precision: int = 4) -> str:
    """A table's number: fixed decimals for ordinary magnitudes, scientific notation for tiny or huge ones."""
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


def short(value: float, precision: int = 4) -> str:
    """A number as a person writes it: `6`, `-0.5`, `0.7071`, `1e-07`; `inf` or `undefined` for a gradient."""
    if not math.isfinite(value):
        return infinite(value)
    if value == 0:
        return "0"
    if 1e-4 <= abs(value) < 1e9:
        text = f"{value:.{precision}f}".rstrip("0").rstrip(".")
        if text not in ("0", "-0"):
            return text
    return f"{value:.{precision}g}" if precision else f"{value:.0e}"


def error(value: float | None) -> str:
    """A difference between two numbers (`check`'s abs err, rel err): `5.0e-01`, `0`, `—` when there is none."""
    return "—" if value is None else "0" if value == 0 else f"{value:.1e}"


def digits(value: float, figures: int = 12) -> str:
    """A number with `figures` significant digits and no trailing zeros: `1051.65392603` (audit's reports)."""
    return format(value, f".{figures}g")


def finite(value: float | None) -> float | None:
    """The value for JSON: None where it is not a finite number."""
    return value if value is None or math.isfinite(value) else None
