"""The `step` report: variables before / grad / after, the output along the way, its change."""

from __future__ import annotations

from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

from ..descent import Descent, checkpoints
from ..fmt import number


def _table(*columns: str) -> Table:
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for k, column in enumerate(columns):
        table.add_column(column, justify="right" if k else "left", style=None if k else "bold")
    return table


def variables_table(d: Descent, precision: int = 4) -> Table:
    """One row per variable: its value before, the gradient of the first update, its value after."""
    start, moving, held = d.start, set(d.moving), set(d.held)
    table = _table("variable", "before", "grad" if d.steps <= 1 else "grad (step 1)", "after")
    for name, i in d.graph.variables.items():
        name = name if i in moving else f"{name} (not moved)" if i in held else f"{name} (frozen)"
        cells = (number(v, precision) for v in (start.values[i], start.grads[i], d.values[i]))
        table.add_row(name, *cells, style=None if i in moving else "dim")
    return table


def summary_table(d: Descent, precision: int = 4) -> Table:
    """The output at the start, at a few steps along the way and at the end, with each change."""
    table = _table("step", d.label, "change")
    previous = None
    for step in checkpoints(d.steps):
        value = d.history[step]
        change = "" if previous is None else number(value - previous, precision)
        table.add_row(str(step), number(value, precision), change)
        previous = value
    return table


def change_line(d: Descent, precision: int = 4) -> Text:
    """`L: -8.0000 -> -8.0721  (Δ -0.0721)`, with the number of steps when there were several."""
    first, last = d.history[0], d.history[-1]
    text = f"{d.label}: {number(first, precision)} -> {number(last, precision)}  (Δ {number(last - first, precision)})"
    newton = " Newton" if d.method == "newton" else ""
    if d.steps != 1 or newton:
        text += f" after {d.steps}{newton} step{'' if d.steps == 1 else 's'}"
    return Text(text)


def step_report(d: Descent, precision: int = 4) -> Group:
    parts = [variables_table(d, precision), ""]
    if d.steps > 1:
        parts += [summary_table(d, precision), ""]
    return Group(*parts, change_line(d, precision))
