"""`gradcli hessian`'s output: the value, then one row per variable (value, gradient, second derivatives); its JSON
record is `records.hessian_record`."""

from __future__ import annotations

from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

from ..fmt import number
from ..hessian import Hessian


def hessian_table(h: Hessian, precision: int = 4) -> Group:
    """`L = 8.0000`, then one row per variable: its value, its gradient, and its row of the Hessian
    (a column per variable, headed by its name)."""
    run, names = h.run, h.names
    label = run.graph.labels()[run.output]
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    table.add_column("variable", style="bold")
    table.add_column("value", justify="right")
    table.add_column("grad", justify="right")
    for name in names:
        table.add_column(name, justify="right", style="cyan")
    for name, i, row in zip(names, h.variables, h.matrix):
        table.add_row(name, number(run.values[i], precision), number(run.grads[i], precision),
                      *(number(v, precision) for v in row))  # fmt: skip
    value = Text(f"{label} = {number(run.values[run.output], precision)}")
    columns = ", ".join(names)
    key = Text(f"grad: d{label}/d(row); columns {columns}: the Hessian, d2{label}/d(row)d(column)", style="dim")
    return Group(value, "", table, "", key)
