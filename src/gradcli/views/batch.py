"""What `eval --data` says on standard error when it is done: the rows, their rate, and the rows that failed."""

from __future__ import annotations

from ..batchjob import Summary


def rate(rows: int, seconds: float) -> str:
    """`433,000`: rows per second, to three significant figures."""
    if seconds <= 0:
        return "-"
    value = rows / seconds
    return f"{float(f'{value:.3g}'):,.0f}"


def summary_lines(summary: Summary, out: str | None) -> list[str]:
    """`wrote result.csv: 1,000,000 rows in 2.31 s (433,000 rows/s)`, and a note on the failing rows."""
    plural = "" if summary.rows == 1 else "s"
    done = f"{summary.rows:,} row{plural} in {summary.seconds:.2f} s ({rate(summary.rows, summary.seconds)} rows/s)"
    parts = f" ({summary.parts} part{'' if summary.parts == 1 else 's'})" if summary.parts else ""
    lines = [f"wrote {out}{parts}: {done}" if out else done]
    if summary.failed:
        where, why = summary.first
        lines.append(
            f"note: {summary.failed:,} of {summary.rows:,} rows failed (empty cells); the first, {where}: {why}"
        )
    return lines
