"""Target 7: gradients over many rows (`eval --data`), and `plot` start-up.

7. The neuron `o = tanh(x1*w1 + x2*w2 + b)` on 1,000,000 rows:
   - the evaluation part in-process, `gradcli.batch.evaluate` on numpy columns, against PyTorch
     batched autograd on the same columns (float64 tensors of all rows, `.sum().backward()`), and
     against micrograd's per-row loop on a sample (extrapolated to rows per second);
   - whole commands from CSV and from Parquet to a file of the same kind: rows per second and
     peak memory, with `--engine local` and `--engine dask` (a local cluster of two processes);
   - with `--big`, a 10,000,000-row CSV file: peak memory (the goal: under 500 MB).
   `plot` of 400 points (CSV to stdout, and a PNG) against the start-up of `gradcli eval`.

    python3 benchmarks/bench_batch.py [--rows N] [--big] [--runs N]
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from common import compile_installed, gradcli_command, installed, median_time, row

NEURON = "o = tanh(x1*w1 + x2*w2 + b)"
COLUMNS = ("x1", "x2", "w1", "w2", "b")
PEAK = """
import resource, subprocess, sys, time
start = time.perf_counter()
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(time.perf_counter() - start, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def columns(rows: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {name: rng.normal(size=rows) for name in COLUMNS}


def write_files(folder: Path, rows: int) -> tuple[Path, Path]:
    import pyarrow as pa
    import pyarrow.csv as pc
    import pyarrow.parquet as pq

    csv, parquet = folder / f"rows{rows}.csv", folder / f"rows{rows}.parquet"
    step = 1_000_000
    with pc.CSVWriter(csv, pa.schema([(c, pa.float64()) for c in COLUMNS])) as writer:
        for start in range(0, rows, step):
            writer.write_table(pa.table(columns(min(step, rows - start), seed=start)))
    if rows <= 2_000_000:
        pq.write_table(pa.table(columns(rows)), parquet)
    return csv, parquet


def whole(command: list[str]) -> tuple[float, float]:
    """(seconds, peak MiB) of one command in a fresh process."""
    done = subprocess.run([sys.executable, "-c", PEAK, *command], capture_output=True, text=True, check=True)
    seconds, kib = done.stdout.split()
    return float(seconds), int(kib) / 1024


def evaluation(rows: int, repeat: int) -> list[dict]:
    from gradcli.batch import evaluate

    data = columns(rows)
    mine, _ = median_time(lambda: evaluate(NEURON, data), repeat)
    case = f"neuron, {rows:,} rows, evaluation in-process"
    print(f"7. evaluation: gradcli {rows / mine:,.0f} rows/s", flush=True)
    out = []
    if installed("torch"):
        import torch

        def pytorch():
            t = {n: torch.tensor(c, dtype=torch.float64, requires_grad=True) for n, c in data.items()}
            torch.tanh(t["x1"] * t["w1"] + t["x2"] * t["w2"] + t["b"]).sum().backward()
            return {n: v.grad for n, v in t.items()}

        theirs, _ = median_time(pytorch, repeat)
        print(f"   PyTorch batched autograd {rows / theirs:,.0f} rows/s", flush=True)
        goal = "gradcli >= 1/2 of PyTorch's rows/s"
        theirs_ns = theirs / rows * 1e9
        out.append(row("7 batch", case, mine / rows * 1e9, "ns/row", "torch batched", theirs_ns, 0.5, goal=goal))
    else:
        out.append(row("7 batch", case, mine / rows * 1e9, "ns/row", "torch (not installed)"))
    if installed("micrograd"):
        from micrograd.engine import Value

        def tanh(v):  # micrograd 0.1.0 has no tanh: the lecture's, as learners add it
            t = math.tanh(v.data)
            out = Value(t, (v,), "tanh")

            def _backward():
                v.grad += (1 - t**2) * out.grad

            out._backward = _backward
            return out

        sample = 2_000
        rows_of = list(zip(*(data[c][:sample].tolist() for c in COLUMNS)))

        def loop():
            for x1, x2, w1, w2, b in rows_of:
                v = [Value(x1), Value(x2), Value(w1), Value(w2), Value(b)]
                o = tanh(v[0] * v[2] + v[1] * v[3] + v[4])
                o.backward()

        theirs, _ = median_time(loop, repeat)
        print(f"   micrograd per-row loop {sample / theirs:,.0f} rows/s", flush=True)
        out.append(row("7 batch", case, mine / rows * 1e9, "ns/row", f"micrograd loop ({sample:,} rows)",
                       theirs / sample * 1e9, 1000))  # fmt: skip
    return out


def commands(csv: Path, parquet: Path, rows: int, folder: Path, dask: bool) -> list[dict]:
    out = []
    runs = [("CSV", csv, folder / "out.csv", "local"), ("Parquet", parquet, folder / "out.parquet", "local")]
    if dask and installed("distributed"):
        runs += [("CSV", csv, folder / "dask.parquet", "dask"), ("Parquet", parquet, folder / "dask2.parquet", "dask")]
    for kind, source, target, engine in runs:
        command = gradcli_command() + ["eval", NEURON, "--data", str(source), "--out", str(target), "--engine", engine]
        seconds, peak = whole(command)
        case = f"eval --data ({kind} -> {target.suffix[1:]}, --engine {engine}), {rows:,} rows, whole command"
        print(f"7. {case}: {rows / seconds:,.0f} rows/s, peak {peak:,.0f} MiB", flush=True)
        out.append(row("7 batch", case, rows / seconds, "rows/s"))
        if engine == "local":
            out.append(row("7 batch", case + ": peak memory", peak, "MiB"))
    return out


def big(folder: Path) -> list[dict]:
    rows = 10_000_000
    print(f"writing {rows:,} rows ...", flush=True)
    csv, _ = write_files(folder, rows)
    command = gradcli_command() + ["eval", NEURON, "--data", str(csv), "--out", str(folder / "big.csv")]
    seconds, peak = whole(command)
    case = f"eval --data, {rows:,} rows ({csv.stat().st_size / 2**30:.1f} GiB CSV): peak memory"
    print(f"7. {case}: {peak:,.0f} MiB, {rows / seconds:,.0f} rows/s", flush=True)
    rate = row("7 batch", case[: -len(": peak memory")] + ": rows/s", rows / seconds, "rows/s")
    return [row("7 batch", case, peak, "MiB", below=500), rate]


def plot_startup(runs: int) -> list[dict]:
    """`plot` of 400 points against `eval "a*b"`, run in turn, each in a fresh process."""
    compile_installed()
    eval_ = gradcli_command() + ["eval", "a*b", "--a", "2", "--b", "3", "--format", "json"]
    with tempfile.TemporaryDirectory() as folder:
        variants = {
            "CSV to stdout": gradcli_command() + ["plot", "y = tanh(x)", "--x", "-4:4"],
            "PNG": gradcli_command() + ["plot", "y = tanh(x)", "--x", "-4:4", "--out", f"{folder}/p.png"],
        }
        timed = {name: [] for name in ["eval", *variants]}
        for _ in range(runs):
            for name, command in [("eval", eval_), *variants.items()]:
                start = time.perf_counter()
                subprocess.run(command, stdout=subprocess.DEVNULL, check=True)
                timed[name].append(time.perf_counter() - start)
    base = statistics.median(timed["eval"]) * 1000
    out = []
    for name in variants:
        ms = statistics.median(timed[name]) * 1000
        print(f"7. plot 400 points ({name}): {ms:.0f} ms; eval start-up {base:.0f} ms", flush=True)
        case = f'plot "y = tanh(x)" --x -4:4, 400 points ({name}) vs eval "a*b"'
        out.append(row("7 plot", case, ms, "ms", "eval start-up", base, 1 / 1.5, goal="<= 1.5x eval's start-up"))
    return out


def main(rows: int = 1_000_000, repeat: int = 3, runs: int = 10, with_big: bool = False, dask: bool = True) -> list:
    out = evaluation(rows, repeat)
    if installed("pyarrow"):
        with tempfile.TemporaryDirectory() as folder:
            folder = Path(folder)
            csv, parquet = write_files(folder, rows)
            out += commands(csv, parquet, rows, folder, dask)
            if with_big:
                out += big(folder)
    else:
        print("pyarrow is not installed (pip install 'gradcli[data]'): the file benchmarks are skipped")
    out += plot_startup(runs)
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--runs", type=int, default=10, help="runs of each start-up command")
    parser.add_argument("--big", action="store_true", help="also a 10,000,000-row file (about 1 GB on disk)")
    options = parser.parse_args()
    print(json.dumps(main(options.rows, options.repeat, options.runs, options.big), indent=1))
