"""`gradcli eval --data FILE`: the wiring of batch evaluation (local or on Dask), kept apart from eval's own."""

from __future__ import annotations

import sys
import time
from contextlib import contextmanager
from pathlib import Path

import click

from ..errors import InputError
from ..parser import parse
from ..program import bind, output_node
from ..source import read_source


def run(expr, file, given, of, data, out, engine, scheduler, strict) -> None:
    """Read, plan, evaluate every row, write; progress on a terminal, the rows and their rate at the end."""
    from ..batchjob import plan
    from ..datafile import WRITES, kind

    fmt = kind(out, "--out", WRITES) if out else "csv"
    if out is not None and not Path(out).parent.is_dir():
        raise InputError(f"cannot write {out}: the folder {Path(out).parent} does not exist")
    if engine != "dask" and scheduler is not None:
        raise InputError("--scheduler is for --engine dask")
    text = read_source(expr, file)
    graph = parse(text)
    bindings = bind(graph, given, require=False)
    output = output_node(graph, of)

    def plan_for(columns: list[str]):
        return plan(graph, output, bindings, list(given), columns, data)

    if engine == "dask":
        summary = _dask(text, of, data, out, fmt, scheduler, strict, plan_for)
    else:
        summary = _local(graph, data, out, fmt, strict, plan_for)
    from ..views.batch import summary_lines

    for line in summary_lines(summary, out):
        click.echo(line, err=True)


def _local(graph, data, out, fmt, strict, plan_for):
    from ..batchjob import run_local
    from ..datafile import Sink, Source
    from ..output import atomic_stream

    source = Source(data, list(graph.variables))
    batch = plan_for(source.columns)
    with _bar(source) as show:
        if out is None:
            return run_local(batch, source, lambda schema: Sink(sys.stdout.buffer, "csv", schema), strict, show)
        with atomic_stream(out) as stream:
            return run_local(batch, source, lambda schema: Sink(stream, fmt, schema), strict, show)


def _dask(text, of, data, out, fmt, scheduler, strict, plan_for):
    from ..batchjob import run_dask
    from ..output import atomic_folder

    if out is None:
        raise InputError("--engine dask writes a folder of parts: give it with --out NAME.parquet|.csv|.jsonl")
    if "://" in out:
        return run_dask(text, of, data, out, fmt, scheduler, strict, plan_for)
    with atomic_folder(out) as folder:
        return run_dask(text, of, data, str(folder), fmt, scheduler, strict, plan_for)


@contextmanager
def _bar(source):
    """A progress bar on standard error while it is a terminal; yields the function that updates it (or None)."""
    from rich.console import Console

    err = Console(stderr=True)
    if not err.is_terminal or err.is_dumb_terminal:
        yield None
        return
    from ..views.batch import progress_bar, rate

    with progress_bar(err) as progress:
        task = progress.add_task("", total=max(source.rows, 1), rows="0", rate="-")

        def show(summary) -> None:
            seconds = time.perf_counter() - summary.started
            total = max(source.rows, summary.rows)  # a CSV file's row count is an estimate
            rows = f"{summary.rows:,}"
            progress.update(task, total=total, completed=summary.rows, rows=rows, rate=rate(summary.rows, seconds))

        yield show
