"""Batch evaluation of a file of rows: streamed in chunks here, or as a Dask dataframe on a cluster.

Both engines run the same function over a block of rows (`evaluate_rows`): the program's
output and its gradient per variable as new columns, the failing rows counted. The local engine
reads record batches, evaluates them and writes them before reading more, so memory stays
bounded whatever the file's size; the output file appears only when the whole of it is written.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from .batch import Batch
from .errors import EvalError, GradcliError, InputError
from .graph import Graph
from .parser import parse
from .program import output_node

DASK_INSTALL = "pip install 'gradcli[dask]'"
DASK_BLOCK = 64 * 2**20  # bytes of CSV per Dask partition


@dataclass
class Summary:
    """What a batch run did: rows, failing rows, the first failure (where, why), time taken."""

    rows: int = 0
    failed: int = 0
    first: tuple[str, str] | None = None
    seconds: float = 0.0
    parts: int = 0  # files written by the Dask engine
    started: float = field(default_factory=time.perf_counter)

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else float("inf")


@dataclass
class Rows:
    """One block of rows evaluated: the new columns, how many failed, the first failing row and why."""

    columns: dict[str, np.ndarray]
    failed: int
    first: tuple[int, str] | None


def evaluate_rows(batch: Batch, columns: dict[str, np.ndarray], strict: bool = False) -> Rows:
    """The output and its gradients for a block of rows, chunk by chunk (NaN where a row fails).

    With `strict`, the first failing row raises EvalError (its index in the block is `.row`).
    """
    parts, failed, first = [], 0, None
    for start, chunk in batch.chunks(columns):
        parts.append(chunk.columns)
        bad = np.flatnonzero(chunk.failed)
        failed += len(bad)
        if len(bad) and first is None:
            first = (start + int(bad[0]), batch.why(chunk, int(bad[0])))
            if strict:
                error = EvalError(first[1])
                error.row = first[0]
                raise error
    if not parts:
        return Rows({name: np.empty(0) for name in batch.names}, 0, None)
    return Rows({name: np.concatenate([p[name] for p in parts]) for name in batch.names}, failed, first)


def plan(graph: Graph, output: int, bindings: dict, given: list[str], columns: list[str], where: str) -> Batch:
    """The batch for a file with these columns: a variable comes from its column, else from a binding.

    A variable bound on the command line (`given`) that is also a column is an error (which one
    was meant?); a default in the program (`a = 2`) gives way to the column. No new column may
    take the name of an input column.
    """
    both = [v for v in given if v in columns]
    if both:
        raise InputError(f"--{both[0]} binds {both[0]}, which is also a column of {where}: drop one of the two")
    batch = Batch(graph, output, {n: v for n, v in bindings.items() if n not in columns})
    missing = batch.missing(columns)
    if missing:
        flags = " ".join(f"--{n} VALUE" for n in missing)
        raise InputError(
            f"{', '.join(missing)}: not a column of {where} (its columns: {', '.join(columns)}) and not bound ({flags})"
        )
    taken = [n for n in batch.names if n in columns]
    if taken:
        raise InputError(f"{where} already has a column {taken[0]}, a name the output needs; rename that column")
    return batch


# ---- the local engine ---------------------------------------------------------------------------


def run_local(batch: Batch, source, open_sink, strict: bool = False, on_batch=None) -> Summary:
    """Stream `source` (a datafile.Source) through the batch into the sink `open_sink(schema)` makes."""
    from .datafile import arrow_doubles, doubles

    pa = source.pa
    summary, sink = Summary(), None
    for record in source.batches():
        columns = {v: doubles(record.column(v)) for v in source.variables}
        try:
            rows = evaluate_rows(batch, columns, strict)
        except EvalError as exc:
            raise EvalError(f"{source.where(summary.rows + exc.row)}: {exc}") from None
        if rows.first is not None and summary.first is None:
            summary.first = (source.where(summary.rows + rows.first[0]), rows.first[1])
        arrays = record.columns + [arrow_doubles(rows.columns[n]) for n in batch.names]
        out = pa.RecordBatch.from_arrays(arrays, names=record.schema.names + batch.names)
        if sink is None:
            sink = open_sink(out.schema)
        sink.write(out)
        summary.rows += record.num_rows
        summary.failed += rows.failed
        if on_batch is not None:
            on_batch(summary)
    if sink is None:  # no rows: the header (or schema) alone
        fields = [(c, pa.float64() if c in source.variables else pa.string()) for c in source.columns]
        schema = pa.schema(fields + [(n, pa.float64()) for n in batch.names])
        sink = open_sink(schema)
    sink.close()
    summary.seconds = time.perf_counter() - summary.started
    return summary


# ---- the Dask engine ----------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _batch(program: str, of: str | None, fixed: tuple) -> Batch:
    """The program parsed and compiled once per worker process (the text is what travels)."""
    graph = parse(program)
    return Batch(graph, output_node(graph, of), dict(fixed))


def evaluate_partition(frame, program: str, of: str | None, fixed: tuple, strict: bool, partition_info=None):
    """A pandas partition with the output and gradient columns added: `evaluate_rows` on its rows."""
    batch = _batch(program, of, fixed)
    columns = {v: frame[v].to_numpy(dtype=float, na_value=np.nan) for v in batch.variables if v in frame.columns}
    try:
        rows = evaluate_rows(batch, columns, strict)
    except EvalError as exc:
        number = (partition_info or {}).get("number", "?")
        raise EvalError(f"partition {number}, row {exc.row + 1} of it: {exc}") from None
    return frame.assign(**rows.columns)


def _failures(frame, program: str, of: str | None, fixed: tuple):
    """Per partition: its rows, its failing rows (a NaN among the new columns), the first one's index and why."""
    import pandas as pd

    batch = _batch(program, of, fixed)
    bad = np.flatnonzero(frame[batch.names].isna().any(axis=1).to_numpy())
    why = ""
    if len(bad):
        row = frame.iloc[int(bad[0]) : int(bad[0]) + 1]
        columns = {v: row[v].to_numpy(dtype=float, na_value=np.nan) for v in batch.variables if v in frame.columns}
        why = batch.why(batch.run(columns), 0)
    first = int(bad[0]) if len(bad) else -1
    return pd.DataFrame({"rows": [len(frame)], "failed": [len(bad)], "first": [first], "why": [why]})


def dask_modules():
    try:
        import dask
        import dask.dataframe as dd
        import distributed
    except ImportError:
        raise GradcliError(f"--engine dask needs Dask, which is not installed: {DASK_INSTALL}") from None
    return dask, dd, distributed


def run_dask(
    program: str, of: str | None, data: str, out: str, fmt: str, scheduler: str | None, strict: bool, plan_for
) -> Summary:
    """The same evaluation as a Dask dataframe, partition by partition, written as a folder of parts.

    `plan_for(columns)` checks the input's columns and gives the Batch (as `plan`).
    With no `scheduler`, a local cluster of two worker processes runs it.
    """
    import pandas as pd

    dask, dd, distributed = dask_modules()
    summary = Summary()
    kind = "parquet" if data.lower().endswith((".parquet", ".pq")) or not data.lower().endswith(".csv") else "csv"
    cluster = None
    with dask.config.set({"dataframe.convert-string": False}):
        try:
            if scheduler is None:
                cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                                   dashboard_address=None)  # fmt: skip
            client = distributed.Client(scheduler or cluster, set_as_default=False)
        except (OSError, ValueError, TimeoutError) as exc:
            raise GradcliError(f"cannot reach the Dask scheduler {scheduler or '(local)'}: {exc}") from None
        try:
            with client:
                if kind == "csv":
                    header = list(dd.read_csv(data, dtype=str, blocksize=DASK_BLOCK)._meta.columns)
                    batch = plan_for(header)
                    dtypes = {c: "float64" if c in batch.variables else "string" for c in header}
                    frame = dd.read_csv(data, dtype=dtypes, blocksize=DASK_BLOCK, keep_default_na=False,
                                        na_values={v: ["", "NA", "nan", "NaN"] for v in batch.variables})  # fmt: skip
                else:
                    frame = dd.read_parquet(data)
                    batch = plan_for(list(frame.columns))
                fixed = tuple(sorted(batch.fixed.items()))
                meta = frame._meta.assign(**{n: pd.Series([], dtype=float) for n in batch.names})
                result = frame.map_partitions(evaluate_partition, program, of, fixed, strict, meta=meta)
                if fmt == "parquet":
                    write = result.to_parquet(out, compute=False, write_index=False)
                elif fmt == "csv":
                    write = result.to_csv(f"{out}/part-*.csv", index=False, compute=False)
                else:
                    write = result.to_json(f"{out}/part-*.jsonl", orient="records", lines=True, compute=False)
                meta_failures = pd.DataFrame({"rows": [0], "failed": [0], "first": [0], "why": [""]})
                failures = result.map_partitions(_failures, program, of, fixed, meta=meta_failures)
                _, table = dask.compute(write, failures, scheduler=client.get)
        except EvalError:
            raise
        except GradcliError:
            raise
        except (OSError, ValueError, TypeError, KeyError) as exc:
            raise InputError(f"{data}: {exc}") from None
        finally:
            if cluster is not None:
                cluster.close()
    offset = 0
    for rows, failed, first, why in table.itertuples(index=False):
        if failed and summary.first is None:
            summary.first = (f"{data}, row {offset + first + 1}", why)
        offset += rows
        summary.failed += failed
    summary.rows, summary.parts = offset, len(table)
    summary.seconds = time.perf_counter() - summary.started
    return summary
