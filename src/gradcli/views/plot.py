"""The pictures of `gradcli plot` and `step --plot`, drawn with matplotlib's Agg canvas (no display).

* a curve: one panel per series (the output, its derivative, its second derivative if asked),
  sharing the horizontal axis;
  gaps where a value is undefined (shaded where the output itself is), kinks marked by a dotted
  line and a ring on the output;
* a surface: filled contours of the output, the negative gradient as arrows (thinned), kinks as
  dotted lines, undefined regions grey;
* a descent: its path on the curve (one moving variable) or on the surface (two), or the output
  against the step number (more).
"""

from __future__ import annotations

import functools
import io
import warnings

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from ..sampling import LARGEST, Curve, Surface, title

INK, MUTED, GRID = "#2b2b2b", "#8a8a8a", "#e6e6e6"
SERIES = ["#2f63ad", "#d4561c", "#3a8a55"]  # the output, its derivative, a further one
UNDEFINED = "#ececec"
START, END, PATH = "#3a8a55", "#c0392b", "#1f1f1f"
ARROWS = 21  # arrows per side of a surface, at most


def quietly(function):
    """Without numpy's and matplotlib's warnings on huge or undefined values (gaps are meant)."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return function(*args, **kwargs)

    return wrapper


@quietly
def picture(fig: Figure, fmt: str = "png") -> bytes:
    """The figure as PNG (or `svg`, `pdf`) bytes."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt, facecolor="white")
    return buffer.getvalue()


def _figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), dpi=150, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


# ---- curves ---------------------------------------------------------------------------------------


@quietly
def curve_figure(curve: Curve, path: tuple[np.ndarray, np.ndarray] | None = None, subtitle: str = "") -> Figure:
    """One panel per series, stacked, sharing x; with `path` (x, output per step) only the output panel."""
    series = curve.series[:1] if path is not None else curve.series
    fig = _figure(7.5, 2.3 + 2.1 * len(series))
    axes = fig.subplots(len(series), 1, sharex=True, squeeze=False)[:, 0]
    undefined = _runs(curve.x, ~np.isfinite(curve.series[0].values))
    for ax, s in zip(axes, series):
        x, y = curve.breaks(s)
        ax.plot(x, y, color=SERIES[min(s.order, len(SERIES) - 1)], linewidth=1.8, label=s.name)
        ax.set_ylim(*_limits(s.values if path is None else np.concatenate([s.values, path[1]])))
        ax.set_ylabel(s.name, color=INK)
        for lo, hi in undefined:
            ax.axvspan(lo, hi, color=UNDEFINED, zorder=0, linewidth=0)
        for kink in curve.kinks:
            ax.axvline(kink.x, color=MUTED, linestyle=":", linewidth=1.0, zorder=1)
        if s.order == 0 and curve.kinks:
            at = np.array([kink.x for kink in curve.kinks])
            ax.scatter(at, np.interp(at, curve.x, s.values), s=36, facecolors="white", edgecolors=INK, zorder=4)
        if s.order > 0:
            ax.axhline(0, color=MUTED, linewidth=0.7, zorder=0)
        _quiet(ax)
    if path is not None:
        _path(axes[0], *path)
    axes[-1].set_xlabel(curve.variable, color=INK)
    axes[-1].set_xlim(curve.x[0], curve.x[-1])
    handles = []
    if curve.kinks:
        kinked = ", ".join(dict.fromkeys(k.text for k in curve.kinks))
        handles.append(_ring(f"kink: {_short(kinked)} (derivative by convention)"))
    if undefined:
        handles.append(Patch(color=UNDEFINED, label=f"{curve.series[0].name} undefined"))
    if handles or path is not None:
        extra = axes[0].get_legend_handles_labels()[0] if path is not None else []
        axes[0].legend(handles=extra + handles, fontsize=8, frameon=False, loc="best")
    _title(fig, curve.title, subtitle)
    return fig


def _limits(values: np.ndarray) -> tuple[float, float]:
    """The y range: all finite values, or about the middle 90% when a few (near a pole) dwarf the rest."""
    finite = values[np.isfinite(values)]
    if not len(finite):
        return -1.0, 1.0
    lo, hi = float(finite.min()), float(finite.max())
    p_lo, p_hi = (float(v) for v in np.percentile(finite, [5, 95]))
    if hi - lo > 20 * (p_hi - p_lo) and p_hi > p_lo:
        lo, hi = max(lo, p_lo - (p_hi - p_lo)), min(hi, p_hi + (p_hi - p_lo))
    pad = (0.06 * hi - 0.06 * lo) or 0.5 * max(1.0, abs(hi))
    return max(lo - pad, -LARGEST), min(hi + pad, LARGEST)


def _runs(x: np.ndarray, mask: np.ndarray) -> list[tuple[float, float]]:
    """Spans of x where `mask` holds, reaching half way to the neighbouring samples."""
    if not mask.any():
        return []
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    spans = []
    for start, stop in zip(edges[::2], edges[1::2]):
        lo = x[start] if start == 0 else (x[start - 1] + x[start]) / 2
        hi = x[stop - 1] if stop == len(x) else (x[stop - 1] + x[stop]) / 2
        spans.append((float(lo), float(hi)))
    return spans


# ---- surfaces -------------------------------------------------------------------------------------


@quietly
def surface_figure(surface: Surface, path: tuple[np.ndarray, np.ndarray] | None = None, subtitle: str = "") -> Figure:
    """Filled contours of the output, the negative gradient as arrows, kinks dotted; a descent path on top."""
    fig = _figure(7.2, 6.0)
    ax = fig.subplots()
    a, b = surface.variables
    gx, gy = np.meshgrid(surface.x, surface.y)
    value = np.ma.masked_invalid(surface.value)
    ax.set_facecolor(UNDEFINED)
    handles = []
    if value.count():
        levels = _levels(surface.value)
        filled = ax.contourf(gx, gy, value, levels=levels, cmap="viridis", extend="both")
        ax.contour(gx, gy, value, levels=levels, colors="white", linewidths=0.4, alpha=0.6, linestyles="solid")
        fig.colorbar(filled, ax=ax, label=surface.label, shrink=0.9)
        handles += _arrows(ax, surface)
    for _, edge in surface.kinks:
        ax.contour(gx, gy, edge, levels=[0], colors=INK, linewidths=1.0, linestyles=":")
    if surface.kinks:
        kinked = ", ".join(dict.fromkeys(text for text, _ in surface.kinks))
        handles.append(_line(f"kink: {_short(kinked)}", ":"))
    if value.count() < value.size:
        handles.append(Patch(color=UNDEFINED, label=f"{surface.label} undefined"))
    if path is not None:
        handles = _path(ax, *path) + handles
    ax.set_xlim(surface.x[0], surface.x[-1])
    ax.set_ylim(surface.y[0], surface.y[-1])
    spans = (surface.x[-1] - surface.x[0], surface.y[-1] - surface.y[0])
    if 1 / 3 <= spans[0] / spans[1] <= 3:
        ax.set_aspect("equal")
    ax.set_xlabel(a, color=INK)
    ax.set_ylabel(b, color=INK)
    if handles:
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=2, fontsize=8, frameon=False)
    _title(fig, surface.title, subtitle)
    ax.tick_params(colors=INK, labelsize=8)
    return fig


def _levels(values: np.ndarray) -> np.ndarray:
    finite = values[np.isfinite(values)]
    lo, hi = _limits(finite)
    return np.linspace(lo, hi, 16) if hi > lo else np.linspace(lo - 1, lo + 1, 16)


def _arrows(ax, surface: Surface) -> list:
    """The negative gradient on a thinned grid, longest arrows about one cell long."""
    step = max(1, int(np.ceil(len(surface.x) / ARROWS)))
    xs, ys = surface.x[step // 2 :: step], surface.y[step // 2 :: step]
    u = -surface.gradient[0][step // 2 :: step, step // 2 :: step]
    v = -surface.gradient[1][step // 2 :: step, step // 2 :: step]
    size = np.hypot(u, v)
    finite = np.isfinite(size)
    if not finite.any() or not np.nanmax(np.where(finite, size, 0)) > 0:
        return []
    reference = float(np.percentile(size[finite], 95)) or float(size[finite].max())
    scale = np.minimum(1.0, size / reference) / np.where(size > 0, size, 1.0)
    cell = 0.9 * min(xs[1] - xs[0] if len(xs) > 1 else 1.0, ys[1] - ys[0] if len(ys) > 1 else 1.0)
    gx, gy = np.meshgrid(xs, ys)
    with np.errstate(all="ignore"):
        ax.quiver(gx, gy, u * scale * cell, v * scale * cell, angles="xy", scale_units="xy", scale=1, pivot="mid",
                  color="white", width=0.0035, alpha=0.9, zorder=3)  # fmt: skip
    return [_line(f"-gradient of {surface.label} (downhill)", "-", color=MUTED, marker=">")]


# ---- a descent ------------------------------------------------------------------------------------


def _path(ax, x: np.ndarray, y: np.ndarray) -> list:
    """The steps as points joined by a line, the start and the end larger."""
    steps = len(x) - 1
    size = 14 if steps <= 60 else 5
    ax.plot(x, y, color=PATH, linewidth=1.0, zorder=5)
    ax.scatter(x[:1], y[:1], s=80, color=START, edgecolors="white", zorder=7, label="start")
    ax.scatter(x[1:-1], y[1:-1], s=size, color=PATH, zorder=6, label=f"each step ({steps})")
    ax.scatter(x[-1:], y[-1:], s=110, marker="*", color=END, edgecolors="white", zorder=7, label="end")
    return ax.get_legend_handles_labels()[0][-3:]


@quietly
def history_figure(history: list[float], label: str, title: str, subtitle: str = "") -> Figure:
    """The output against the step number, each step a point."""
    fig = _figure(7.5, 4.2)
    ax = fig.subplots()
    steps = np.arange(len(history))
    values = np.asarray(history, dtype=float)
    start, end = values[0], values[-1]
    if values.min() > 0 and values.max() / values.min() > 100:  # spans decades: draw their logarithm
        values, label = np.log10(values), f"log10({label})"
    ax.plot(steps, values, color=SERIES[0], linewidth=1.4)
    ax.scatter(steps, values, s=10 if len(steps) <= 200 else 2, color=SERIES[0], zorder=3)
    ax.scatter(steps[:1], values[:1], s=70, color=START, zorder=4, label=f"start {start:.6g}")
    ax.scatter(steps[-1:], values[-1:], s=90, marker="*", color=END, zorder=4, label=f"end {end:.6g}")
    ax.set_xlabel("step", color=INK)
    ax.set_ylabel(label, color=INK)
    ax.legend(fontsize=8, frameon=False)
    _quiet(ax)
    _title(fig, title, subtitle)
    return fig


# ---- shared ---------------------------------------------------------------------------------------


def _title(fig: Figure, title: str, subtitle: str) -> None:
    fig.suptitle(title, color=INK, fontsize=12, family="monospace")
    if subtitle:
        fig.axes[0].set_title(subtitle, color=MUTED, fontsize=9)


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _ring(label: str):
    from matplotlib.lines import Line2D

    return Line2D([], [], marker="o", markerfacecolor="white", markeredgecolor=INK, color=MUTED, linestyle=":",
                  label=label)  # fmt: skip


def _line(label: str, style: str, color: str = INK, marker=None):
    from matplotlib.lines import Line2D

    return Line2D([], [], color=color, linestyle=style, marker=marker, label=label)


def _quiet(ax) -> None:
    for side, spine in ax.spines.items():
        spine.set_visible(side in ("left", "bottom"))
        spine.set_color("#bbbbbb")
    ax.tick_params(colors=INK, labelsize=8)
    ax.grid(True, color=GRID, linewidth=0.7)


@quietly
def descent_figure(d, samples: Curve | Surface | None) -> Figure:
    """A descent (a `Descent` run with `trail=True`) on `samples`, the output around its path
    (`sampling.around_descent`): the path on the curve (one moving variable), on the contours (two),
    or, without samples, the output against the step number."""
    method = "Newton's method" if d.method == "newton" else "gradient descent"
    subtitle = f"{method} on {d.label}: {d.steps} step{'' if d.steps == 1 else 's'}, lr {d.lr:g}"
    if d.problem is not None:
        subtitle += " (stopped: the next step fails)"
    if samples is None:
        return history_figure(d.history.all, d.label, title(d.graph), subtitle)
    path = np.array(d.trail, dtype=float).T
    if isinstance(samples, Curve):
        return curve_figure(samples, (path[0], np.asarray(d.history.all, dtype=float)), subtitle)
    return surface_figure(samples, (path[0], path[1]), subtitle)
