"""`audit`'s report card (one row per check, then each failure's evidence and the notes)."""

from __future__ import annotations

from rich import box
from rich.console import Group
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from ..audit import FAIL, UNSUPPORTED, Report

_LABELS = ("program", "expected", "got", "diagnosis")


def _result(row) -> Text:
    if row.status == FAIL:
        return Text("FAIL" + ("" if row.program else f": {row.got}"), style="bold red")
    if row.status == UNSUPPORTED:
        return Text(f"not supported: {row.got}", style="dim")
    return Text("ok" + (f": {row.got}" if row.got else ""), style="green")


def audit_view(report: Report) -> Group:
    """The heading, the table of checks, each failure's program / expected / got / diagnosis, the
    notes of passing checks, and the verdict."""
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    table.add_column("check", style="bold", no_wrap=True)
    table.add_column("result")
    for row in report.rows:
        table.add_row(row.check, _result(row))
    parts = [Text(f"{report.file}: class {report.cls}", style="bold"), "", table]
    for row in report.rows:
        if row.status != FAIL or not row.program:  # a check that did not run says why in the table
            continue
        evidence = Table.grid(padding=(0, 2))
        evidence.add_column(style="dim", min_width=len("diagnosis"))
        evidence.add_column()
        for label in _LABELS:
            if getattr(row, label):
                evidence.add_row(label, getattr(row, label))
        parts += ["", Text(f"FAIL {row.check}", style="bold red"), Padding(evidence, (0, 0, 0, 2), expand=False)]
    noted = [row for row in report.rows if row.status != FAIL and row.diagnosis]
    notes = [Text(f"note: {row.check}: {row.diagnosis}", style="yellow") for row in noted]
    if notes:
        parts += ["", *notes]
    parts += ["", _verdict(report)]
    return Group(*parts)


def _verdict(report: Report) -> Text:
    checked = [row for row in report.rows if row.status != UNSUPPORTED]
    failed = sum(row.status == FAIL for row in checked)
    unsupported = len(report.rows) - len(checked)
    aside = f" ({unsupported} not supported)" if unsupported else ""
    if failed:
        return Text(f"{failed} of {len(checked)} checks fail{aside}", style="bold red")
    return Text(f"all {len(checked)} checks pass{aside}", style="bold green")
