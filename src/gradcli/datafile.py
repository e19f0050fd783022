"""Rows in and out of files: CSV and Parquet read in record batches, CSV, Parquet and JSON lines written.

pyarrow does the reading and writing (an optional extra: `pip install 'gradcli[data]'`). Columns
named like the program's variables are read as float64 (an empty cell is NaN); every other
column passes through unchanged (from CSV, as text). A bad CSV file is an input error naming
the line: pyarrow says what is wrong, a plain scan of the file finds where.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import GradcliError, InputError
from .source import cell_number

if TYPE_CHECKING:
    import numpy as np

INSTALL = "pip install 'gradcli[data]'"
READS = ("csv", "parquet")
WRITES = ("csv", "parquet", "jsonl")
BLOCK = 4 * 2**20  # bytes of CSV per record batch
ROWS = 2**16  # rows per record batch from Parquet


def pyarrow():
    """The pyarrow module, or a clean error that names the extra to install."""
    try:
        import pyarrow
        import pyarrow.csv
        import pyarrow.parquet  # noqa: F401
    except ImportError:
        raise GradcliError(f"reading and writing data files needs pyarrow, which is not installed: {INSTALL}") from None
    return pyarrow


def kind(path: str, option: str, kinds: tuple[str, ...]) -> str:
    """`csv`, `parquet` or `jsonl`, from the extension."""
    suffix = Path(path).suffix.lower().lstrip(".")
    suffix = {"pq": "parquet", "ndjson": "jsonl"}.get(suffix, suffix)
    if suffix not in kinds:
        names = ", ".join(f".{k}" for k in kinds)
        raise InputError(f"{option} {path}: expected a file named {names}")
    return suffix


class Source:
    """A CSV or Parquet file of rows, read one record batch at a time."""

    def __init__(self, path: str, variables: list[str]):
        self.path, self.kind = path, kind(path, "--data", READS)
        target = Path(path)
        if target.is_dir():
            raise InputError(f"cannot read {path}: it is a folder")
        if not target.exists():
            raise InputError(f"cannot read {path}: no such file")
        self.pa = pyarrow()
        if self.kind == "csv":
            self.columns = self._header()
            self.rows = self._estimate(target.stat().st_size)
        else:
            try:
                self.parquet = self.pa.parquet.ParquetFile(path)
            except (OSError, self.pa.ArrowException) as exc:
                raise InputError(f"cannot read {path}: not a Parquet file ({exc})") from None
            self.columns = list(self.parquet.schema_arrow.names)
            self.rows = self.parquet.metadata.num_rows  # for a progress bar: exact here, estimated for CSV
        doubles = sorted({c for c in self.columns if self.columns.count(c) > 1})
        if doubles:
            raise InputError(f"{self._where(1)}: the column {doubles[0]} appears twice")
        self.variables = [v for v in variables if v in self.columns]

    def _where(self, line: int | None = None) -> str:
        return self.path if line is None else f"{self.path}, line {line}"

    def _header(self) -> list[str]:
        try:
            with open(self.path, encoding="utf-8-sig", newline="") as handle:
                row = next(csv.reader(handle), None)
        except UnicodeDecodeError:
            raise InputError(f"cannot read {self.path}: it is not UTF-8 text") from None
        except OSError as exc:
            raise InputError(f"cannot read {self.path}: {exc.strerror or exc}") from None
        if not row or not any(cell.strip() for cell in row):
            raise InputError(f"{self._where(1)}: expected a header line of column names")
        names = [cell.strip() for cell in row]
        if "" in names:
            raise InputError(f"{self._where(1)}: column {names.index('') + 1} has no name")
        return names

    def _estimate(self, size: int) -> int:
        """About how many rows a CSV file holds, from the lines in its first megabyte."""
        with open(self.path, "rb") as handle:
            sample = handle.read(2**20)
        lines = sample.count(b"\n") or 1
        return max(0, round(size * lines / max(1, len(sample))) - 1)

    def batches(self) -> Iterator:
        """Record batches: the variables' columns as float64, the rest as they are."""
        pa = self.pa
        if self.kind == "parquet":
            for batch in self.parquet.iter_batches(batch_size=ROWS):
                yield self._doubles(batch)
            return
        types = {c: pa.float64() if c in self.variables else pa.string() for c in self.columns}
        with open(self.path, "rb") as raw:
            try:
                reader = pa.csv.open_csv(
                    raw,
                    read_options=pa.csv.ReadOptions(block_size=BLOCK, column_names=self.columns, skip_rows=1),
                    convert_options=pa.csv.ConvertOptions(column_types=types, strings_can_be_null=False),
                )
                yield from reader
            except pa.ArrowInvalid as exc:
                raise self._bad_csv(exc) from None

    def _doubles(self, batch):
        """A Parquet batch with the variables' columns cast to float64 (a column of text is an input error)."""
        pa = self.pa
        columns = []
        for name, column in zip(batch.schema.names, batch.columns):
            if name in self.variables and column.type != pa.float64():
                if not (pa.types.is_integer(column.type) or pa.types.is_floating(column.type)):
                    raise InputError(f"{self.path}: the column {name} holds {column.type}, not numbers")
                column = column.cast(pa.float64())
            columns.append(column)
        return pa.RecordBatch.from_arrays(columns, names=batch.schema.names)

    def _bad_csv(self, exc) -> InputError:
        """Find the first bad line (ragged, or a variable that is not a number) with a plain scan."""
        wanted = [self.columns.index(v) for v in self.variables]
        with open(self.path, encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            try:
                next(reader, None)
                for row in reader:
                    if not row:
                        continue
                    line = self._where(reader.line_num)
                    if len(row) != len(self.columns):
                        return InputError(f"{line}: expected {len(self.columns)} values, got {len(row)}")
                    for k in wanted:
                        cell = row[k].strip()
                        if cell and cell_number(cell) is None:
                            return InputError(f"{line}: {self.columns[k]} is not a number: {cell!r}")
            except (csv.Error, UnicodeDecodeError) as error:
                return InputError(f"{self._where(reader.line_num)}: not valid CSV: {error}")
        return InputError(f"{self.path}: not valid CSV: {exc}")

    def where(self, row: int) -> str:
        """Where data row `row` (from 0) is: `rows.csv, line 12` (blank lines counted) or `rows.parquet, row 11`."""
        if self.kind == "parquet":
            return f"{self.path}, row {row + 1}"
        seen = -1  # the header is line 1
        with open(self.path, "rb") as handle:
            for number, line in enumerate(handle, 1):
                if line.strip(b"\r\n"):
                    if seen == row:
                        return self._where(number)
                    seen += 1
        return f"{self.path}, row {row + 1}"


def doubles(column) -> np.ndarray:
    """A float64 Arrow array as numpy, NaN where null, without pyarrow's pandas-based conversion
    (importing pandas costs about a second of start-up)."""
    import numpy as np

    values = np.frombuffer(column.buffers()[1], dtype=np.float64, count=column.offset + len(column))
    values = values[column.offset :]
    if column.null_count:
        bits = np.frombuffer(column.buffers()[0], dtype=np.uint8)
        valid = np.unpackbits(bits, bitorder="little")[column.offset : column.offset + len(column)].astype(bool)
        values = np.where(valid, values, np.nan)
    return values


def arrow_doubles(values: np.ndarray):
    """A numpy array of floats as a float64 Arrow array, null where NaN: `doubles` the other way round,
    without `pyarrow.array`, which imports pandas to look at a numpy array."""
    import numpy as np

    pa = pyarrow()
    values = np.ascontiguousarray(values, dtype=np.float64)
    missing = np.isnan(values)
    count = int(np.count_nonzero(missing))
    valid = pa.py_buffer(np.packbits(~missing, bitorder="little")) if count else None
    return pa.Array.from_buffers(pa.float64(), len(values), [valid, pa.py_buffer(values)], null_count=count)


class Sink:
    """Rows written as CSV, Parquet or JSON lines to a binary stream, one record batch at a time."""

    def __init__(self, stream, fmt: str, schema):
        self.stream, self.fmt, self.schema, self.pa = stream, fmt, schema, pyarrow()
        self.parquet = None
        if fmt == "parquet":
            self.parquet = self.pa.parquet.ParquetWriter(stream, schema, use_dictionary=False)
        elif fmt == "csv":
            stream.write((",".join(map(_header_cell, schema.names)) + "\n").encode())

    def write(self, batch) -> None:
        pa = self.pa
        if self.fmt == "parquet":
            self.parquet.write_batch(batch)
        elif self.fmt == "csv":
            text = [c for c, t in zip(batch.columns, batch.schema.types) if pa.types.is_string(t)]
            quoting = "needed" if any(_needs_quotes(pa, c) for c in text) else "none"
            options = pa.csv.WriteOptions(include_header=False, quoting_style=quoting)
            buffer = io.BytesIO()
            pa.csv.write_csv(batch, buffer, options)
            self.stream.write(buffer.getvalue())
        else:
            names = [json.dumps(n) for n in batch.schema.names]
            lines = (
                "{" + ", ".join(f"{n}: {_json(v)}" for n, v in zip(names, row)) + "}\n"
                for row in zip(*(c.to_pylist() for c in batch.columns))
            )
            self.stream.write("".join(lines).encode())

    def close(self) -> None:
        if self.parquet is not None:
            self.parquet.close()


def _json(value) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "null"
    return repr(value) if isinstance(value, float) else json.dumps(value)


def _header_cell(name: str) -> str:
    return '"' + name.replace('"', '""') + '"' if any(c in name for c in ',"\r\n') else name


def _needs_quotes(pa, column) -> bool:
    import pyarrow.compute as pc

    return bool(pc.any(pc.match_substring_regex(column, '[,"\r\n]')).as_py())
