"""Sampled curves and surfaces as CSV text: full precision, an empty cell where a value is undefined.

No matplotlib here: `gradcli plot` without `--out` starts as fast as `eval`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

from ..sampling import Curve, Surface


def csv_lines(curve_or_surface: Curve | Surface, chunk: int = 10_000) -> Iterator[str]:
    """The header `x,y,dy/dx` (or `x,y,f,df/dx,df/dy` for a surface), then one line per sample."""
    if isinstance(curve_or_surface, Curve):
        names = [curve_or_surface.variable] + [s.name for s in curve_or_surface.series]
        columns = [curve_or_surface.x] + [s.values for s in curve_or_surface.series]
    else:
        names, columns = curve_or_surface.rows()
    yield ",".join(_quoted(n) for n in names) + "\n"
    lists = [c.tolist() for c in columns]
    for start in range(0, len(lists[0]), chunk):
        rows = zip(*(column[start : start + chunk] for column in lists))
        yield "".join(",".join(map(_cell, row)) + "\n" for row in rows)


def _cell(value: float) -> str:
    return repr(value) if math.isfinite(value) else ""


def _quoted(name: str) -> str:
    return f'"{name}"' if any(c in name for c in ',"\n') else name
