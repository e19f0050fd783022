"""A program sampled over a range of one variable (a curve) or two (a surface), in vectorised passes.

A curve holds its series: the output, then its derivative, then (`order` 2) its second
derivative, from the derivative program that `hessian` differentiates (one `Series` each).
Where a value is undefined the series holds NaN; where an op has a kink between two samples
(its edge changes sign) the kink is recorded, and the derivatives break there; where the
function jumps between two samples (a pole: the secant disagrees in sign with the derivative on
both sides) every series breaks there.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .batch import Batch
from .errors import InputError
from .graph import Graph
from .program import parse_number

MAX_POINTS = 1_000_000  # samples of a curve
MAX_SIDE = 2_000  # samples per side of a surface
LARGEST = 1e300  # ranges (and a picture's axes) stay this side of overflow (a diverging descent)


def parse_range(name: str, text: str) -> tuple[float, float]:
    """`-4:4` -> (-4.0, 4.0); both ends finite, the first below the second."""
    low, colon, high = text.partition(":")
    if not colon or ":" in high:
        raise InputError(f"--{name} {text}: expected a range LO:HI such as -4:4")
    lo, hi = parse_number(low, f"--{name} (the low end)"), parse_number(high, f"--{name} (the high end)")
    if not lo < hi:
        raise InputError(f"--{name} {text}: the low end must be below the high end")
    return lo, hi


def is_range(text: str) -> bool:
    """Does a binding's text name a range (`LO:HI`) rather than one value?"""
    return ":" in text


@dataclass
class Series:
    """One sampled quantity: its name (a CSV column and an axis label), its values, its order of derivative."""

    name: str
    values: np.ndarray
    order: int  # 0 the function, 1 a first derivative: derivatives break at kinks


@dataclass
class Kink:
    """Where an op's derivative is only a convention: at `x`, in node `node` (its source text `text`)."""

    x: float
    node: int
    text: str


@dataclass
class Curve:
    """The output and its derivative against one variable."""

    variable: str
    x: np.ndarray
    series: list[Series]
    kinks: list[Kink] = field(default_factory=list)
    jumps: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=int))  # k: a jump between x[k] and x[k+1]
    title: str = ""

    def breaks(self, series: Series) -> tuple[np.ndarray, np.ndarray]:
        """The samples of `series` with NaN put in wherever its line must not be drawn across.

        Returns (x, values), with a NaN inserted at every jump and, for a derivative, at every kink
        (between the samples around it, or in place of a sample exactly on it).
        """
        x, y = self.x.astype(float), series.values.astype(float)
        cuts = [(float(self.x[k] + self.x[k + 1]) / 2, k + 1) for k in self.jumps]
        if series.order > 0:
            for kink in self.kinks:
                k = int(np.searchsorted(self.x, kink.x))
                if k < len(self.x) and self.x[k] == kink.x:
                    y = y.copy()
                    y[k] = np.nan
                else:
                    cuts.append((kink.x, k))
        cuts.sort(key=lambda c: c[1])
        if cuts:
            where = [k for _, k in cuts]
            x = np.insert(x, where, [c for c, _ in cuts])
            y = np.insert(y, where, np.nan)
        return x, y


@dataclass
class Surface:
    """The output and its gradient over a grid of two variables (rows follow the second)."""

    variables: tuple[str, str]
    x: np.ndarray
    y: np.ndarray
    value: np.ndarray  # shape (len(y), len(x))
    gradient: tuple[np.ndarray, np.ndarray]  # d output / d x, d output / d y, same shape
    label: str
    kinks: list[tuple[str, np.ndarray]] = field(default_factory=list)  # (source text, edge over the grid)
    title: str = ""

    def rows(self) -> tuple[list[str], list[np.ndarray]]:
        """CSV columns: the two variables, the output, and its gradient, one row per grid point."""
        gx, gy = np.meshgrid(self.x, self.y)
        a, b = self.variables
        names = [a, b, self.label, f"d{self.label}/d{a}", f"d{self.label}/d{b}"]
        return names, [m.ravel() for m in (gx, gy, self.value, *self.gradient)]


def title(graph: Graph, limit: int = 90) -> str:
    """The program on one line, for a picture's title."""
    text = "; ".join(line.strip() for line in graph.source.strip().splitlines() if line.strip())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def curve(
    batch: Batch, variable: str, lo: float, hi: float, points: int, wrt: str | None = None, order: int = 1
) -> Curve:
    """Sample the output and d output / d `wrt` (the ranged variable by default) at `points` points;
    with `order` 2, d2 output / d `wrt`2 too."""
    x = np.linspace(lo, hi, points)
    wrt = wrt or variable
    column, edges = _sample(batch, {variable: x})
    f, d = column[batch.label], column[batch.gradient_name(wrt)]
    series = [Series(batch.label, f, 0), Series(batch.gradient_name(wrt), d, 1)]
    if order == 2:
        second = _second(batch, variable, x, wrt)  # undefined where the first derivative is (log(x) at x < 0)
        series.append(Series(f"d2{batch.label}/d{wrt}2", np.where(np.isfinite(d), second, np.nan), 2))
    kinks = _kinks(batch.graph, edges, x)
    return Curve(variable, x, series, kinks, _jumps(x, f, d if wrt == variable else None), title(batch.graph))


def _second(batch: Batch, variable: str, x: np.ndarray, wrt: str) -> np.ndarray:
    """d2 output / d `wrt`2 along `variable` = x: the derivative program's own derivative (the
    op table's derivative expressions, PyTorch's conventions at kinks), NaN where undefined."""
    from .hessian import SecondOrder

    graph = batch.graph
    gradient = SecondOrder(graph, batch.output, [graph.variables[wrt]]).gradient
    fixed = {n: v for n, v in batch.fixed.items() if n in gradient.variables}
    inner = Batch(gradient, gradient.output, fixed)
    if variable not in gradient.variables:  # the derivative does not vary along the range
        column, _ = _sample(inner, {})
    else:
        column, _ = _sample(inner, {variable: x})
    if wrt not in gradient.variables:  # the derivative does not depend on wrt: 0 wherever it has a value
        return np.where(np.isfinite(column[inner.label]), 0.0, np.nan) + np.zeros_like(x)
    return np.broadcast_to(column[inner.gradient_name(wrt)], x.shape).astype(float)


def surface(batch: Batch, ranges: dict[str, tuple[float, float]], points: int) -> Surface:
    """Sample the output and its gradient in the two ranged variables over a `points` x `points` grid."""
    (a, (a_lo, a_hi)), (b, (b_lo, b_hi)) = ranges.items()
    xs, ys = np.linspace(a_lo, a_hi, points), np.linspace(b_lo, b_hi, points)
    gx, gy = np.meshgrid(xs, ys)
    column, edges = _sample(batch, {a: gx.ravel(), b: gy.ravel()})
    column = {name: values.reshape(gx.shape) for name, values in column.items()}
    graph = batch.graph
    kinks = [(graph.text(i), e.reshape(gx.shape)) for i, e in edges.items() if _crosses(e)]
    gradient = (column[batch.gradient_name(a)], column[batch.gradient_name(b)])
    return Surface((a, b), xs, ys, column[batch.label], gradient, batch.label, kinks, title(graph))


def _sample(batch: Batch, columns: dict[str, np.ndarray]) -> tuple[dict[str, np.ndarray], dict[int, np.ndarray]]:
    """The output columns over all the samples, and the edge of every kinked op that varies (node -> edge)."""
    parts, edges = [], {}
    for _, chunk in batch.chunks(columns):
        parts.append(chunk.columns)
        for i, edge in batch.kinks(chunk):
            edges.setdefault(i, []).append(edge)
    column = {name: np.concatenate([p[name] for p in parts]) for name in parts[0]}
    return column, {i: np.concatenate(e) for i, e in edges.items()}


def _kinks(graph: Graph, edges: dict[int, np.ndarray], x: np.ndarray) -> list[Kink]:
    """Kinks along a curve, by position: exact zeros of an edge, and sign changes between samples."""
    found = []
    for i, e in edges.items():
        text = graph.text(i)
        for k in np.flatnonzero(e == 0):
            found.append(Kink(float(x[k]), i, text))
        with np.errstate(all="ignore"):
            between = np.flatnonzero(np.sign(e[:-1]) * np.sign(e[1:]) < 0)
        for k in between:
            t = e[k] / (e[k] - e[k + 1])
            found.append(Kink(float(x[k] + t * (x[k + 1] - x[k])), i, text))
    return sorted(found, key=lambda kink: (kink.x, kink.node))


def _jumps(x: np.ndarray, f: np.ndarray, d: np.ndarray | None) -> np.ndarray:
    """k where f jumps between x[k] and x[k+1]: the secant's sign is opposite to the derivative on both sides."""
    if d is None or len(x) < 2:
        return np.empty(0, dtype=int)
    with np.errstate(all="ignore"):
        secant = np.sign(np.diff(f))
        left, right = np.sign(d[:-1]), np.sign(d[1:])
        return np.flatnonzero((left == right) & (left != 0) & (secant == -left))


def _crosses(edge: np.ndarray) -> bool:
    with np.errstate(all="ignore"):
        return bool(np.nanmin(edge) <= 0 <= np.nanmax(edge)) if np.isfinite(edge).any() else False


# ---- around a descent ---------------------------------------------------------------------------


def around_descent(d) -> Curve | Surface | None:
    """The output around the path of a descent (a `Descent` run with `trail=True`): a curve along its one
    moving variable, a surface over its two; None for more, or when the variables ran off to infinity."""
    labels = d.graph.labels()
    names = [labels[i] for i in d.moving]
    path = np.array(d.trail if d.trail is not None else [], dtype=float).T
    with np.errstate(all="ignore"):  # huge values are expected of a descent that blows up
        if len(names) > 2 or not path.size or _diverged(path):
            return None
        spans = [_around(p) for p in path]
        if len(spans) == 2:
            spans = _square(*spans)
    batch = Batch(d.graph, d.output, {n: v for n, v in d.bindings().items() if n not in names})
    if len(names) == 1:
        return curve(batch, names[0], *spans[0], 400)
    return surface(batch, dict(zip(names, spans)), 200)


def _diverged(path: np.ndarray) -> bool:
    """Did the variables run off a million times their starting scale? (Then the output per step says more.)"""
    scale = np.maximum(1.0, np.abs(path[:, 0]))
    return bool((np.abs(path).max(axis=1) > 1e6 * scale).any())


def _square(a: tuple[float, float], b: tuple[float, float]) -> list[tuple[float, float]]:
    """Widen the narrower range to the wider one's span (same centre), unless their scales differ tenfold."""
    wide = max(a[1] - a[0], b[1] - b[0])
    if not np.isfinite(wide):
        return [a, b]
    if wide > 10 * min(a[1] - a[0], b[1] - b[0]):
        return [a, b]
    return [((lo + hi - wide) / 2, (lo + hi + wide) / 2) for lo, hi in (a, b)]


def _around(values: np.ndarray) -> tuple[float, float]:
    """A range around the values a variable took, with a margin (some room when it hardly moved)."""
    lo, hi = float(values.min()), float(values.max())
    pad = (0.25 * hi - 0.25 * lo) or 0.5 * max(1.0, abs(lo))
    return max(lo - pad, -LARGEST), min(hi + pad, LARGEST)
