"""`check`'s table (analytic | numeric | abs err | rel err | ok, then notes and a verdict) and its dict."""

from __future__ import annotations

from dataclasses import asdict

from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

from ..gradcheck import Row
from .fmt import number


def _error(value: float | None) -> str:
    return "—" if value is None else "0" if value == 0 else f"{value:.1e}"


def check_view(rows: list[Row], reference: str, method: str, precision: int = 4) -> Group:
    """The comparison table, a note per variable that needs one, how it was judged, and the verdict."""
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    table.add_column("variable", style="bold")
    for title in ("analytic", reference, "abs err", "rel err"):
        table.add_column(title, justify="right")
    table.add_column("ok", justify="center")
    for row in rows:
        table.add_row(
            row.name, number(row.analytic, precision), number(row.numeric, precision),
            _error(row.abs_err), _error(row.rel_err),
            Text("ok", style="green") if row.ok else Text("FAIL", style="bold red"),
        )  # fmt: skip
    failed = sum(not row.ok for row in rows)
    lines = [Text(f"note: {row.name}: {row.note}", style="yellow") for row in rows if row.note]
    lines.append(Text(f"{method}; ok when abs err <= atol + rtol * max(|analytic|, |{reference}|)", style="dim"))
    if not rows:
        return Group(Text("the program has no variables: nothing to check", style="bold green"))
    if len(rows) == 1:
        verdict = "the gradient fails" if failed else "the gradient matches"
    else:
        verdict = f"{failed} of {len(rows)} gradients fail" if failed else f"all {len(rows)} gradients match"
    verdict = Text(verdict, style="bold red" if failed else "bold green")
    return Group(table, Text(), *lines, verdict)


def check_record(rows: list[Row], against: str, output: str) -> dict:
    return {
        "ok": all(row.ok for row in rows),
        "against": against,
        "output": output,
        "rows": [asdict(row) | {"note": row.note or None} for row in rows],
    }
