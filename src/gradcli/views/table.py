"""The `eval` table: every listed node with its op, definition, value and gradient."""

from __future__ import annotations

from rich import box
from rich.table import Table

from ..fmt import number
from ..program import Run


def describe(run: Run, i: int) -> str:
    """How node i is defined: `input`, `default 2` or its expression."""
    node = run.graph.nodes[i]
    if node.op == "var":
        given = node.name in run.bindings and run.bindings[node.name] != node.value
        return "input" if node.value is None or given else "default"
    return run.graph.text(i)


def eval_table(run: Run, precision: int = 4, unnamed: bool = False, limit: int = 0) -> Table:
    """The table; with `limit`, at most that many node rows (the first and the last ones)."""
    graph, labels = run.graph, run.graph.labels()
    out = labels[run.output]
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    table.add_column("node", style="bold")
    table.add_column("op", justify="center")
    table.add_column("definition", overflow="ellipsis", max_width=40, style="dim")
    table.add_column("value", justify="right")
    table.add_column(f"d{out}/d(node)", justify="right")
    rows = run.listed(unnamed)
    left_out = len(rows) - limit if limit and len(rows) > limit else 0
    if left_out:
        rows = rows[: limit // 2] + [None] + rows[len(rows) - (limit - limit // 2) :]
    for i in rows:
        if i is None:
            table.add_row("...", "", f"{left_out:,} rows left out\n(--limit 0 shows all)", "", "", style="dim")
            continue
        kind = graph.nodes[i].op
        style = "cyan" if kind == "var" else "bold green" if i == run.output else None
        table.add_row(
            labels[i], "var" if kind == "var" else graph.symbol(i), describe(run, i),
            number(run.values[i], precision), number(run.grad(i), precision), style=style,
        )  # fmt: skip
    return table
