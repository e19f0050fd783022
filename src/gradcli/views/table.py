"""The `eval` table: every listed node with its op, definition, value and gradient."""

from __future__ import annotations

from rich import box
from rich.table import Table

from ..program import Run
from .fmt import number


def describe(run: Run, i: int) -> str:
    """How node i is defined: `input`, `default 2` or its expression."""
    node = run.graph.nodes[i]
    if node.op == "var":
        given = node.name in run.bindings and run.bindings[node.name] != node.value
        return "input" if node.value is None or given else "default"
    return run.graph.text(i)


def eval_table(run: Run, precision: int = 4, unnamed: bool = False) -> Table:
    graph, labels = run.graph, run.graph.labels()
    out = labels[run.output]
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    table.add_column("node", style="bold")
    table.add_column("op", justify="center")
    table.add_column("definition", overflow="ellipsis", max_width=40, style="dim")
    table.add_column("value", justify="right")
    table.add_column(f"d{out}/d(node)", justify="right")
    for i in run.listed(unnamed):
        kind = graph.nodes[i].op
        style = "cyan" if kind == "var" else "bold green" if i == run.output else None
        table.add_row(
            labels[i], "var" if kind == "var" else graph.symbol(i), describe(run, i),
            number(run.values[i], precision), number(run.grad(i), precision), style=style,
        )  # fmt: skip
    return table
