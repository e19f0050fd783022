"""`check`'s table (analytic | numeric | abs err | rel err | status, then notes and a verdict)."""

from __future__ import annotations

from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

from ..fmt import error, number
from ..gradcheck import Row

STATUS = {"ok": Text("ok", style="green"), "kink": Text("kink", style="yellow"), "FAIL": Text("FAIL", style="bold red")}


def check_view(rows: list[Row], reference: str, method: str, precision: int = 4) -> Group:
    """The comparison table, a note per row that needs one, how it was judged, and the verdict."""
    if not rows:
        return Group(Text("the program has no variables: nothing to check", style="bold green"))
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    table.add_column("variable", style="bold")
    for title in ("analytic", reference, "abs err", "rel err"):
        table.add_column(title, justify="right")
    table.add_column("status", justify="center")
    for row in rows:
        table.add_row(
            row.name, number(row.analytic, precision), number(row.numeric, precision),
            error(row.abs_err), error(row.rel_err), STATUS[row.status],
        )  # fmt: skip
    lines = [Text(f"note: {row.name}: {row.note}", style="yellow") for row in rows if row.note]
    lines.append(Text(f"{method}; ok when abs err <= atol + rtol * max(|analytic|, |{reference}|)", style="dim"))
    return Group(table, Text(), *lines, verdict(rows))


def verdict(rows: list[Row]) -> Text:
    """`all 4 gradients match`, `1 of 3 gradients fail`, `... (1 at a kink)`."""
    failed = sum(row.status == "FAIL" for row in rows)
    kinks = sum(row.status == "kink" for row in rows)
    what = "directions" if rows[0].name.startswith("direction ") else "gradients"
    if failed:
        text = f"the {what[:-1]} fails" if len(rows) == 1 else f"{failed} of {len(rows)} {what} fail"
    elif kinks:
        text = "the gradient passes at a kink" if len(rows) == 1 else f"all {len(rows)} {what} pass ({kinks} at a kink)"
    else:
        text = f"the {what[:-1]} matches" if len(rows) == 1 else f"all {len(rows)} {what} match"
    return Text(text, style="bold red" if failed else "bold green")
