"""Target 3, from text: a 1,000,000-node program through `gradcli eval -f FILE --format json`.

The program is the chain `x = x*1.0001 + 0.01` written out 250,000 times after `x = 0.5` (4 nodes
a statement: 1,000,001 nodes, about 5 MB and 2,000,000 tokens). The command runs in a fresh
process, its output going to /dev/null; the median wall time and the largest peak memory (maxrss)
of the runs are reported. A separate in-process run of the same stages says where the time goes.

    python3 benchmarks/bench_text.py [--statements N] [--repeat R]
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import tempfile
import time
from pathlib import Path

from common import gradcli_command, measure, row

STATEMENT = "x = x*1.0001 + 0.01"
NODES_PER_STATEMENT = 4
TIME_GOAL, MEMORY_GOAL = 10, 1024  # seconds, MiB


def write_program(folder: str, statements: int) -> Path:
    path = Path(folder) / f"chain{statements}.grad"
    path.write_text("x = 0.5\n" + "\n".join([STATEMENT] * statements) + "\n", encoding="utf-8")
    return path


def run_once(path: Path) -> tuple[float, float]:
    """Wall seconds and peak memory (MiB) of one `gradcli eval -f FILE --format json`."""
    wall, _, peak = measure(gradcli_command() + ["eval", "-f", str(path), "--format", "json"])
    return wall, peak


def stages(path: Path) -> dict[str, float]:
    """Seconds per stage of what `eval -f --format json` does, timed in this process."""
    from gradcli.autodiff import compiled
    from gradcli.collector import collector_paused
    from gradcli.parser import _link, _parser
    from gradcli.program import Run, bind
    from gradcli.source import read_source
    from gradcli.views.records import eval_json

    clock, split = time.perf_counter(), {}

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        split[name] = now - clock
        clock = now

    text = read_source(None, str(path))
    lap("read")
    lark, builder = _parser()
    builder.reset(text)
    with collector_paused():  # as parser.parse does
        lark.parse(text)
        lap("parse (Lark LALR: lex, parse, raw nodes)")
        graph = _link(text, builder.nodes, builder.statements)
    builder.reset("")
    lap("link (names, statement order, node list)")
    bindings = bind(graph, {})
    program = compiled(graph)
    lap("build (compile the forward/backward programs)")
    values = program.forward(program.values(bindings))
    lap("forward")
    grads = program.backward(values, graph.output)
    lap("backward")
    run = Run(graph, bindings, graph.output, values, grads)
    with open(os.devnull, "w") as sink:
        for piece in eval_json(run):  # as the command does: streamed, no dict per node
            sink.write(piece)
    lap("json (views.records.eval_json, streamed) and write")
    return split


def main(statements: int = 250_000, repeat: int = 3) -> list[dict]:
    """Rows for the summary: the command's time and peak memory against the goals, then the split."""
    nodes = statements * NODES_PER_STATEMENT + 1
    print(f"3. from text: gradcli eval -f, {nodes:,} nodes, median of {repeat}", flush=True)
    with tempfile.TemporaryDirectory() as folder:
        path = write_program(folder, statements)
        megabytes = path.stat().st_size / 1e6
        runs = [run_once(path) for _ in range(repeat)]
        seconds, peak = statistics.median(t for t, _ in runs), max(m for _, m in runs)
        print(f"   {megabytes:.1f} MB file: {seconds:.2f} s, peak {peak:.0f} MiB", flush=True)
        gc.collect()
        split = stages(path)
    case = f"eval -f, {nodes:,} nodes ({megabytes:.1f} MB)"
    rows = [
        row("3 from text", case + ": time", seconds, "s", below=TIME_GOAL),
        row("3 from text", case + ": peak memory", peak, "MiB", below=MEMORY_GOAL),
    ]
    total = sum(split.values())
    for stage, spent in split.items():
        print(f"   {stage:<46} {spent:6.2f} s  {spent / total:4.0%}", flush=True)
        rows.append(row("3 from text", f"  {stage} ({spent / total:.0%})", spent, "s"))
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--statements", type=int, default=250_000)
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    main(options.statements, options.repeat)
