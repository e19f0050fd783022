"""`gradcli eval --data`: rows in (CSV, Parquet), rows out (CSV, Parquet, JSON lines), failing rows,
--strict, bad files named by line, atomic output, the missing extra, streaming in chunks."""

from __future__ import annotations

import builtins
import json
import math
import re

import numpy as np
import pytest

from helpers import run_cli

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

SEED = "L = (a*b + c)*f"
RATE = re.compile(r"^\d[\d,]* rows? in \d+\.\d\d s \(([\d,]+|-) rows/s\)$")


def write(tmp_path, text: str, name: str = "rows.csv"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_csv_rows_in_csv_rows_out(tmp_path):
    data = write(tmp_path, "a,b,c\n2,-3,10\n1,1,0\n")
    result = run_cli("eval", SEED, "--data", data, "--f", "-2")
    assert result.exit_code == 0
    assert result.stdout == ("a,b,c,L,dL/da,dL/db,dL/dc,dL/df\n2,-3,10,-8,6,-4,-2,4\n1,1,0,-2,-2,-2,-2,1\n")
    assert RATE.match(result.stderr.strip()), result.stderr


def test_other_columns_pass_through_as_text(tmp_path):
    data = write(tmp_path, 'id,x,note\n007,1.50,"a, b"\nz,2,plain\n')
    result = run_cli("eval", "y = x*x", "--data", data)
    assert result.stdout == 'id,x,note,y,dy/dx\n"007",1.5,"a, b",2.25,3\n"z",2,"plain",4,4\n'


def test_text_columns_are_quoted_only_when_needed(tmp_path):
    data = write(tmp_path, "id,x\n007,1\nz,2\n")
    assert run_cli("eval", "y = x", "--data", data).stdout == "id,x,y,dy/dx\n007,1,1,1\nz,2,2,1\n"


def test_parquet_in_parquet_and_jsonl_out(tmp_path):
    source = tmp_path / "rows.parquet"
    pq.write_table(pa.table({"x": [1, 4], "k": ["p", "q"]}), source)
    out = tmp_path / "out.parquet"
    result = run_cli("eval", "y = sqrt(x)*w", "--data", str(source), "--w", "3", "--out", str(out))
    assert result.exit_code == 0 and result.stderr.startswith(f"wrote {out}: 2 rows in ")
    table = pq.read_table(out).to_pydict()
    assert table == {"x": [1.0, 4.0], "k": ["p", "q"], "y": [3.0, 6.0], "dy/dx": [1.5, 0.75], "dy/dw": [1.0, 2.0]}
    lines = tmp_path / "out.jsonl"
    run_cli("eval", "y = sqrt(x)*w", "--data", str(source), "--w", "3", "--out", str(lines))
    assert [json.loads(line) for line in lines.read_text().splitlines()] == [
        {"x": 1.0, "k": "p", "y": 3.0, "dy/dx": 1.5, "dy/dw": 1.0},
        {"x": 4.0, "k": "q", "y": 6.0, "dy/dx": 0.75, "dy/dw": 2.0},
    ]


def test_failing_rows_are_empty_counted_and_the_first_named(tmp_path):
    data = write(tmp_path, "x\n4\n\n-1\n\n0\n9\n")  # blank lines count as lines
    out = tmp_path / "out.csv"
    result = run_cli("eval", "y = log(x)", "--data", data, "--out", str(out))
    assert result.exit_code == 0
    assert out.read_text() == f"x,y,dy/dx\n4,{math.log(4)!r},0.25\n-1,,\n0,,\n9,{math.log(9)!r},{1 / 9!r}\n"
    note = result.stderr.splitlines()[1]
    assert note == (
        f"note: 2 of 4 rows failed (empty cells); the first, {data}, line 4: "
        "log(x) at line 1, column 5: log needs a positive argument (got -1)"
    )


def test_an_empty_cell_is_a_failing_row(tmp_path):
    data = write(tmp_path, "x,z\n1,2\n,3\n")
    result = run_cli("eval", "y = x*z", "--data", data)
    assert result.stdout.splitlines()[2] == ",3,,,"
    assert f"{data}, line 3: x has no value (an empty cell or nan)" in result.stderr


def test_strict_stops_at_the_first_failing_row_and_writes_nothing(tmp_path):
    data = write(tmp_path, "x\n4\n-1\n0\n")
    out = tmp_path / "out.csv"
    out.write_text("old")
    result = run_cli("eval", "y = log(x)", "--data", data, "--out", str(out), "--strict")
    assert result.exit_code == 1
    assert (
        result.stderr == f"error: {data}, line 3: log(x) at line 1, column 5: log needs a positive argument (got -1)\n"
    )
    assert out.read_text() == "old" and sorted(p.name for p in tmp_path.iterdir()) == ["out.csv", "rows.csv"]


def test_a_gradient_that_fails_is_a_failing_row_too(tmp_path):
    data = write(tmp_path, "x\n0\n4\n")
    result = run_cli("eval", "y = sqrt(x)", "--data", data, "--strict")
    assert result.exit_code == 1
    assert "line 2: the derivative of sqrt(x) at line 1, column 5 is infinite or undefined at 0" in result.stderr


@pytest.mark.parametrize(
    "text,args,message",
    [
        ("x,z\n1,2\n3\n", [], "rows.csv, line 3: expected 2 values, got 1"),
        ("x,z\n1,2\n3,oops\n", [], "rows.csv, line 3: z is not a number: 'oops'"),
        ("x,y2\n1,2\n", [], "z: not a column of {data} (its columns: x, y2) and not bound (--z VALUE)"),
        ("x,z\n1,2\n", ["--z", "3"], "--z binds z, which is also a column of {data}: drop one of the two"),
        ("x,z,y\n1,2,3\n", [], "{data} already has a column y, a name the output needs; rename that column"),
        ("x,x\n1,2\n", [], "rows.csv, line 1: the column x appears twice"),
        ("", [], "rows.csv, line 1: expected a header line of column names"),
        ("x,\n1,2\n", [], "rows.csv, line 1: column 2 has no name"),
    ],
)
def test_a_bad_file_is_an_input_error_naming_the_line(tmp_path, text, args, message):
    data = write(tmp_path, text)
    result = run_cli("eval", "y = x*z", "--data", data, *args, "--out", str(tmp_path / "out.csv"))
    assert result.exit_code == 2, result.stderr
    assert result.stderr == f"error: {message.format(data=data)}\n" or message.format(data=data) in result.stderr
    assert not (tmp_path / "out.csv").exists()


def test_a_bad_line_far_into_a_file_is_found(tmp_path, monkeypatch):
    monkeypatch.setattr("gradcli.datafile.BLOCK", 4096)
    rows = "".join(f"{k},{k}\n" for k in range(5000))
    data = write(tmp_path, "x,z\n" + rows + "1,2,3\n")
    result = run_cli("eval", "y = x*z", "--data", data, "--out", str(tmp_path / "out.csv"))
    assert result.exit_code == 2 and result.stderr == f"error: {data}, line 5002: expected 2 values, got 3\n"
    assert list(tmp_path.iterdir()) == [tmp_path / "rows.csv"]


@pytest.mark.parametrize(
    "args,message",
    [
        (["--data", "rows.txt"], "--data rows.txt: expected a file named .csv, .parquet"),
        (["--data", "missing.csv"], "cannot read missing.csv: no such file"),
        (["--data", "{data}", "--out", "out.txt"], "--out out.txt: expected a file named .csv, .parquet, .jsonl"),
        (["--out", "out.csv"], "--out is for evaluating the rows of a file: give --data FILE"),
        (["--engine", "dask"], "--engine dask is for evaluating the rows of a file: give --data FILE"),
        (["--data", "{data}", "--scheduler", "tcp://127.0.0.1:1"], "--scheduler is for --engine dask"),
    ],
)
def test_bad_options_are_input_errors(tmp_path, args, message):
    data = write(tmp_path, "x\n1\n")
    result = run_cli("eval", "y = x", *[a.format(data=data) for a in args])
    assert result.exit_code == 2 and result.stderr == f"error: {message}\n" or message in result.stderr, result.stderr


def test_a_parquet_column_of_text_for_a_variable(tmp_path):
    source = tmp_path / "rows.parquet"
    pq.write_table(pa.table({"x": ["1", "2"]}), source)
    result = run_cli("eval", "y = x", "--data", str(source))
    assert result.exit_code == 2 and result.stderr == f"error: {source}: the column x holds string, not numbers\n"
    not_parquet = write(tmp_path, "x\n1\n", "fake.parquet")
    result = run_cli("eval", "y = x", "--data", not_parquet)
    assert result.exit_code == 2 and result.stderr.startswith(f"error: cannot read {not_parquet}: not a Parquet file")


def test_without_pyarrow_the_error_names_the_extra(tmp_path, monkeypatch):
    real = builtins.__import__

    def no_pyarrow(name, *args, **kwargs):
        if name == "pyarrow" or name.startswith("pyarrow."):
            raise ImportError(f"No module named {name!r}")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pyarrow)
    result = run_cli("eval", "y = x", "--data", write(tmp_path, "x\n1\n"))
    assert result.exit_code == 1
    assert result.stderr == (
        "error: reading and writing data files needs pyarrow, which is not installed: pip install 'gradcli[data]'\n"
    )


def test_rows_stream_through_in_chunks(tmp_path, monkeypatch):
    """Memory stays bounded: the file is read, evaluated and written a record batch at a time."""
    from gradcli import datafile

    monkeypatch.setattr(datafile, "BLOCK", 2048)
    writes = []
    real_write = datafile.Sink.write
    monkeypatch.setattr(
        datafile.Sink, "write", lambda self, batch: writes.append(batch.num_rows) or real_write(self, batch)
    )
    x = np.linspace(-1, 1, 3000)
    data = write(tmp_path, "x\n" + "".join(f"{v!r}\n" for v in x.tolist()))
    out = tmp_path / "out.parquet"
    assert run_cli("eval", "y = x**3", "--data", data, "--out", str(out)).exit_code == 0
    assert len(writes) > 10 and sum(writes) == 3000
    table = pq.read_table(out)
    assert np.array_equal(table["dy/dx"].to_numpy(), 3 * x**2)


def test_an_empty_file_with_a_header_gives_a_header(tmp_path):
    result = run_cli("eval", "y = x", "--data", write(tmp_path, "x\n"))
    assert result.exit_code == 0 and result.stdout == "x,y,dy/dx\n" and result.stderr.startswith("0 rows in ")
