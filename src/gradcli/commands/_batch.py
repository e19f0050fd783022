"""`gradcli eval --data FILE`: the wiring of batch evaluation (local or on Dask), kept apart from eval's own."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from ..errors import InputError
from ..program import Program
from . import _toolkit as kit


def run(program: Program, data, out, engine, scheduler, strict) -> None:
    """Read, plan, evaluate every row, write; progress on a terminal, the rows and their rate at the end."""
    from ..batchjob import plan
    from ..datafile import WRITES, kind

    fmt = kind(out, "--out", WRITES) if out else "csv"
    if out is not None and not Path(out).parent.is_dir():
        raise InputError(f"cannot write {out}: the folder {Path(out).parent} does not exist")
    if engine != "dask" and scheduler is not None:
        raise InputError("--scheduler is for --engine dask")
    text, graph = program.text, program.graph
    bindings = program.bindings(require=False)
    output = program.output()

    def plan_for(columns: list[str]):
        return plan(graph, output, bindings, list(program.given), columns, data)

    if engine == "dask":
        summary = _dask(text, program.of, data, out, fmt, scheduler, strict, plan_for)
    else:
        summary = _local(graph, data, out, fmt, strict, plan_for)
    from ..views.batch import summary_lines

    for line in summary_lines(summary, out):
        click.echo(line, err=True)


def _local(graph, data, out, fmt, strict, plan_for):
    from ..batchjob import run_local
    from ..datafile import Sink, Source
    from ..output import atomic_stream
    from ..views.batch import rate

    source = Source(data, list(graph.variables))
    batch = plan_for(source.columns)
    with kit.progress("rows", max(source.rows, 1), rows="0", rate="-") as update:

        def show(summary) -> None:
            seconds = time.perf_counter() - summary.started
            total = max(source.rows, summary.rows)  # a CSV file's row count is an estimate
            update(summary.rows, total=total, rows=f"{summary.rows:,}", rate=rate(summary.rows, seconds))

        each = show if update else None
        if out is None:
            return run_local(batch, source, lambda schema: Sink(sys.stdout.buffer, "csv", schema), strict, each)
        with atomic_stream(out) as stream:
            return run_local(batch, source, lambda schema: Sink(stream, fmt, schema), strict, each)


def _dask(text, of, data, out, fmt, scheduler, strict, plan_for):
    from ..batchjob import run_dask
    from ..output import atomic_folder

    if out is None:
        raise InputError("--engine dask writes a folder of parts: give it with --out NAME.parquet|.csv|.jsonl")
    if "://" in out:
        return run_dask(text, of, data, out, fmt, scheduler, strict, plan_for)
    with atomic_folder(out) as folder:
        return run_dask(text, of, data, str(folder), fmt, scheduler, strict, plan_for)
