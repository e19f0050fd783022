"""`eval --data --engine dask`: the same rows on a Dask cluster of two worker processes, every number
compared with the single-process run; the partition function on its own; the missing extra."""

from __future__ import annotations

import builtins

import numpy as np
import pytest

from helpers import run_cli

pytest.importorskip("pyarrow")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")
pd = pytest.importorskip("pandas")

PROGRAM = "o = tanh(x1*w1 + x2*w2 + b) + log(x1)"


@pytest.fixture(scope="module")
def scheduler():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        yield cluster.scheduler_address


def rows_file(tmp_path, n: int = 3000):
    rng = np.random.default_rng(5)
    frame = pd.DataFrame({"id": [f"r{k}" for k in range(n)]} | {c: rng.normal(size=n) for c in ("x1", "x2", "w1")})
    path = tmp_path / "rows.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.mark.slow
def test_two_worker_processes_give_every_number_of_the_single_process_run(tmp_path, monkeypatch, scheduler):
    monkeypatch.setattr("gradcli.batchjob.DASK_BLOCK", 20_000)  # several partitions
    data = rows_file(tmp_path)
    local, parts = tmp_path / "local.parquet", tmp_path / "parts.parquet"
    args = ["eval", PROGRAM, "--data", str(data), "--w2", "0.5", "--b", "-0.25"]
    assert run_cli(*args, "--out", str(local)).exit_code == 0
    result = run_cli(*args, "--engine", "dask", "--scheduler", scheduler, "--out", str(parts))
    assert result.exit_code == 0, result.stderr
    lines = result.stderr.splitlines()
    assert lines[0].startswith(f"wrote {parts} (") and " parts): 3,000 rows in " in lines[0]
    assert int(lines[0].split("(")[1].split()[0]) > 1
    ours = pd.read_parquet(local)
    theirs = pd.read_parquet(parts)
    assert list(theirs.columns) == list(ours.columns) == [
        "id", "x1", "x2", "w1", "o", "do/dx1", "do/dw1", "do/dx2", "do/dw2", "do/db",
    ]  # fmt: skip
    assert theirs["id"].tolist() == ours["id"].tolist()
    for column in ours.columns[1:]:
        assert np.array_equal(theirs[column].to_numpy(), ours[column].to_numpy(), equal_nan=True), column
    failed = int(ours["o"].isna().sum())
    assert failed > 0 and lines[1].startswith(f"note: {failed:,} of 3,000 rows failed (empty cells); the first, ")
    first = int(np.flatnonzero(ours["o"].isna().to_numpy())[0])
    assert f"{data}, row {first + 1}: log(x1) at line 1, column 31: log needs a positive argument" in lines[1]


def test_the_partition_function_is_the_local_one(tmp_path):
    from gradcli.batch import evaluate
    from gradcli.batchjob import evaluate_partition

    frame = pd.DataFrame({"x1": [1.0, -1.0, 2.0], "x2": [0.5, 0.5, 0.5], "w1": [1.0, 2.0, 3.0], "k": ["a", "b", "c"]})
    fixed = (("b", -0.25), ("w2", 0.5))
    out = evaluate_partition(frame, PROGRAM, None, fixed, False)
    expected = evaluate(PROGRAM, {c: frame[c].to_numpy() for c in ("x1", "x2", "w1")} | dict(fixed))
    for name, values in expected.items():
        assert np.array_equal(out[name].to_numpy(), values, equal_nan=True)
    assert out["k"].tolist() == ["a", "b", "c"]
    with pytest.raises(Exception, match="partition 3, row 2 of it: log"):
        evaluate_partition(frame, PROGRAM, None, fixed, True, partition_info={"number": 3})


def test_dask_needs_out(tmp_path):
    result = run_cli("eval", "y = x1", "--data", str(rows_file(tmp_path, 3)), "--engine", "dask")
    assert result.exit_code == 2
    assert (
        result.stderr == "error: --engine dask writes a folder of parts: give it with --out NAME.parquet|.csv|.jsonl\n"
    )


@pytest.mark.slow
def test_without_dask_the_error_names_the_extra(tmp_path, monkeypatch):
    real = builtins.__import__

    def no_dask(name, *args, **kwargs):
        if name in ("dask", "distributed") or name.startswith(("dask.", "distributed.")):
            raise ImportError(f"No module named {name!r}")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_dask)
    data = rows_file(tmp_path, 3)
    result = run_cli("eval", "y = x1", "--data", str(data), "--engine", "dask", "--out", str(tmp_path / "o.parquet"))
    assert result.exit_code == 1
    assert result.stderr == "error: --engine dask needs Dask, which is not installed: pip install 'gradcli[dask]'\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rows.csv"]
