"""The README's limits: CPU time and peak memory per MB of program, for every command and size class.

Each class is a program of about `--megabytes` MB whose graph has a different number of nodes per
MB: statements, a sum of 100 variables, two kinds of nesting, and unary minus (one node a
character, the densest). Each command runs in a fresh process with its output going to
/dev/null; CPU seconds (which a busy machine inflates less than wall time) and peak memory are
less those of a one-node program (the start), are divided by the file's size and set against
the README's stated rates.

    python benchmarks/bench_sizes.py [--megabytes M] [--classes statements,sum,...]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from common import gradcli_command, measure, row

COMMANDS = {
    "eval": ["eval"], "eval json": ["eval", "--format", "json"], "graph dot": ["graph", "--format", "dot"],
    "step": ["step", "--lr", "1e-9"], "explain": ["explain"], "explain json": ["explain", "--format", "json"],
    "check": ["check"],
}  # fmt: skip

#: class -> (a program of about n bytes, the README's stated peak GB per MB; graph --format dot: its own)
STATEMENT = "x = x*1.0001 + 0.01\n"
NAMES = [f"x{i}" for i in range(100)]
SUM = " + ".join(NAMES)
CLASSES = {
    "statements": (lambda n: "x = 0.5\n" + STATEMENT * (n // len(STATEMENT)), 0.14),
    "sum": (lambda n: "\n".join(f"{v} = {i}" for i, v in enumerate(NAMES)) + "\nL = "
            + " + ".join([SUM] * (n // (len(SUM) + 3))) + "\n", 0.14),
    "parentheses": (lambda n: "x = 1\n" + "(" * (n // 9) + "x" + "*1.0001)" * (n // 9) + "\n", 0.14),
    "tanh": (lambda n: "x = 0.5\n" + "tanh(" * (n // 6) + "x" + ")" * (n // 6) + "\n", 0.14),
    "minus": (lambda n: "x = 1\nL = " + "-" * (n - 12) + "x\n", 0.7),
}  # fmt: skip
GRAPH_GB = {"minus": 1.7}  # graph --format dot builds the whole DOT text (0.4 GB/MB for the others)


def main(megabytes: float = 1.0, classes: list[str] | None = None) -> list[dict]:
    rows = []
    _, start_cpu, start_peak = measure(gradcli_command() + ["eval", "x", "--x", "1"])
    with tempfile.TemporaryDirectory() as folder:
        for name in classes or list(CLASSES):
            make, stated = CLASSES[name]
            path = Path(folder) / f"{name}.grad"
            path.write_text(make(int(megabytes * 2**20)), encoding="utf-8")
            size = path.stat().st_size / 2**20
            print(f"{name}: {size:.2f} MB", flush=True)
            for label, args in COMMANDS.items():
                _, cpu, peak = measure(gradcli_command() + args + ["-f", str(path)])
                seconds, gb = (cpu - start_cpu) / size, (peak - start_peak) / 1024 / size
                goal = GRAPH_GB.get(name, 0.4) if label == "graph dot" else stated
                print(f"   {label:<13} {seconds:6.2f} s/MB  {gb:5.2f} GB/MB  (peak {peak:,.0f} MiB)", flush=True)
                rows.append(row("limits", f"{name}: {label}, CPU", seconds, "s/MB"))
                rows.append(row("limits", f"{name}: {label}, peak memory", gb, "GB/MB", below=goal))
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=float, default=1.0)
    parser.add_argument("--classes", default=",".join(CLASSES), help=f"some of {', '.join(CLASSES)}")
    options = parser.parse_args()
    main(options.megabytes, options.classes.split(","))
