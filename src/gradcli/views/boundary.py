"""The picture `train --plot` draws: the decision boundary over the data, and the training curves.

Left, the classifier's score over the plane (tinted by class, deeper where it is surer), the
boundary score = 0 as a line and the max-margin lines score = +-1 dashed, the samples on top with
the misclassified ones ringed. Right, loss and accuracy per step. Drawn with matplotlib's Agg
canvas, no display needed.
"""

from __future__ import annotations

import io

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure

from ..datasets import Data
from ..training import History, Network

NEGATIVE, POSITIVE = "#d4561c", "#2f63ad"  # class -1 orange, class 1 blue
INK, MUTED, ACCURACY = "#2b2b2b", "#8a8a8a", "#3a8a55"
TINT = LinearSegmentedColormap.from_list("tint", ["#f9d2b8", "#fdeee4", "#ffffff", "#e3ebf7", "#bcd0ee"])
GRID = 300  # points per side of the score grid


def figure(data: Data, network: Network, history: History) -> Figure:
    fig = Figure(figsize=(10.5, 4.6), dpi=150, layout="constrained")
    FigureCanvasAgg(fig)
    left, right = fig.subplots(1, 2, width_ratios=[1.25, 1])
    _boundary(left, data, network)
    _curves(right, history)
    sizes = "-".join(map(str, network.sizes))
    fig.suptitle(
        f"MLP {sizes} on {data.name} ({len(data)} samples): "
        f"{history.final_accuracy:.0%} accuracy after {len(history.loss)} steps",
        color=INK,
        fontsize=13,
    )
    return fig


def png(data: Data, network: Network, history: History, fmt: str = "png") -> bytes:
    """The figure as PNG (or `svg`, `pdf`) bytes."""
    buffer = io.BytesIO()
    figure(data, network, history).savefig(buffer, format=fmt, facecolor="white")
    return buffer.getvalue()


def _boundary(ax, data: Data, network: Network) -> None:
    pad = 0.4
    xs = np.linspace(data.x1.min() - pad, data.x1.max() + pad, GRID)
    ys = np.linspace(data.x2.min() - pad, data.x2.max() + pad, GRID)
    gx, gy = np.meshgrid(xs, ys)
    with np.errstate(all="ignore"):
        score = network.scores(gx.ravel(), gy.ravel()).reshape(gx.shape)
    clipped = np.clip(score, -2.5, 2.5)
    ax.contourf(gx, gy, clipped, levels=np.linspace(-2.5, 2.5, 21), cmap=TINT, antialiased=True)
    ax.contour(gx, gy, score, levels=[-1, 1], colors=MUTED, linewidths=0.8, linestyles="--")
    ax.contour(gx, gy, score, levels=[0], colors=INK, linewidths=1.6)
    scores = network.scores(data.x1, data.x2)
    for label, color, name in ((-1.0, NEGATIVE, "class -1"), (1.0, POSITIVE, "class 1")):
        mine = data.y == label
        ax.scatter(
            data.x1[mine], data.x2[mine], s=30, c=color, edgecolors="white", linewidths=0.7, label=name, zorder=3
        )
    wrong = (scores > 0) != (data.y > 0)
    if wrong.any():
        ax.scatter(data.x1[wrong], data.x2[wrong], s=110, facecolors="none", edgecolors=INK, linewidths=1.2,
                   label=f"misclassified ({wrong.sum()})", zorder=4)  # fmt: skip
    ax.set_xlim(xs[0], xs[-1])
    ax.set_ylim(ys[0], ys[-1])
    ax.set_aspect("equal")
    ax.set_xlabel("x1", color=INK)
    ax.set_ylabel("x2", color=INK)
    ax.set_title("decision boundary (score = 0) and margins (score = ±1)", color=INK, fontsize=10)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=3, fontsize=8, frameon=False)
    _quiet(ax)


def _curves(ax, history: History) -> None:
    steps = np.arange(len(history.loss) + 1)
    loss = history.loss + [history.final_loss]
    accuracy = np.array(history.accuracy + [history.final_accuracy]) * 100
    ax.plot(steps, loss, color=INK, linewidth=1.6, label="loss")
    ax.set_yscale("log")
    ax.set_xlabel("step", color=INK)
    ax.set_ylabel("loss (log scale)", color=INK)
    ax.grid(True, which="major", color="#e6e6e6", linewidth=0.8)
    twin = ax.twinx()
    twin.plot(steps, accuracy, color=ACCURACY, linewidth=1.6, label="accuracy")
    twin.set_ylim(min(45.0, accuracy.min() - 5), 101)
    twin.set_ylabel("accuracy (%)", color=ACCURACY)
    twin.tick_params(axis="y", colors=ACCURACY)
    ax.set_xlim(0, steps[-1])
    ax.set_title("training", color=INK, fontsize=10)
    lines = ax.get_lines() + twin.get_lines()
    ax.legend(lines, [line.get_label() for line in lines], loc="center right", fontsize=8, frameon=False)
    _quiet(ax)
    _quiet(twin, right=True)


def _quiet(ax, right: bool = False) -> None:
    """Thin grey frame: keep the left and bottom spines (or the right one), drop the rest."""
    for side, spine in ax.spines.items():
        spine.set_visible(side == "right" if right else side in ("left", "bottom"))
        spine.set_color("#bbbbbb")
    ax.tick_params(colors=INK, labelsize=8)
