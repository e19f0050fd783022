"""Number formatting shared by every view."""

from __future__ import annotations


def number(value: float | None, precision: int = 4) -> str:
    """Fixed decimals for ordinary magnitudes, scientific notation for tiny or huge ones."""
    if value is None:
        return "—"
    if value == 0:
        return f"{0.0:.{precision}f}"
    if 1e-4 <= abs(value) < 1e9:
        text = f"{value:.{precision}f}"
        if float(text) != 0:
            return text
    return f"{value:.{precision}e}"
