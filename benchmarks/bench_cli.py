"""Targets 4 and 5, whole commands in fresh processes: start-up, and 100,000 descent steps.

4. `gradcli eval "a*b" --a 2 --b 3 --format json` against `python -c "import click, rich, lark"`,
   the two run in turn many times (hyperfine gives the same medians on a quiet machine).
5. `gradcli step` on the seed program for 100,000 steps against a script doing the same 100,000
   updates with micrograd (rebuilding its graph every step), both as commands, start-up included.
   The seed's learning rate 0.001 diverges after 703 steps (the output is a cubic, unbounded below;
   gradcli stops there), so both run with --lr 1e-6, and their final values must agree.

    python3 benchmarks/bench_cli.py [--runs N] [--steps N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

from common import gradcli_command, installed, row

SEED = ["L=(a*b+c)*f", "--a", "2", "--b", "-3", "--c", "10", "--f", "-2"]
LR = 1e-6

MICROGRAD_STEPS = """
import json, sys
from micrograd.engine import Value
steps, lr = int(sys.argv[1]), float(sys.argv[2])
a, b, c, f = Value(2.0), Value(-3.0), Value(10.0), Value(-2.0)
history = []
for _ in range(steps):
    L = (a * b + c) * f
    history.append(L.data)
    for v in (a, b, c, f):
        v.grad = 0.0
    L.backward()
    for v in (a, b, c, f):
        v.data -= lr * v.grad
L = (a * b + c) * f
history.append(L.data)
print(json.dumps({"after": {"value": L.data, "values": dict(zip("abcf", (a.data, b.data, c.data, f.data)))},
                  "history": history}))
"""


def run_quietly(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def startup(runs: int) -> list[dict]:
    """Both commands run in turn, `runs` times each after a warm-up, so a busy moment hits both alike."""
    ours = gradcli_command() + ["eval", "a*b", "--a", "2", "--b", "3", "--format", "json"]
    peer = [sys.executable, "-c", "import click, rich, lark"]
    run_quietly(ours), run_quietly(peer)
    times = [(run_quietly(ours), run_quietly(peer)) for _ in range(runs)]
    mine, theirs = (statistics.median(side) for side in zip(*times))
    print(f"4. start-up, median of {runs} runs: gradcli {mine * 1000:.1f} ms, imports {theirs * 1000:.1f} ms")
    # The goal is gradcli within 1.5x the peer's time: peer/gradcli at least 1/1.5.
    case = 'eval "a*b" --format json vs python -c "import click, rich, lark"'
    goal = "gradcli <= 1.5x the peer's time"
    return [row("4 start-up", case, mine * 1000, "ms", "import click, rich, lark", theirs * 1000, 1 / 1.5, goal=goal)]


def run_json(command: list[str]) -> tuple[float, dict]:
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, check=True, text=True)
    return time.perf_counter() - start, json.loads(done.stdout)


def steps(count: int, repeat: int) -> list[dict]:
    ours = gradcli_command() + ["step", *SEED, "--lr", str(LR), "--steps", str(count), "--format", "json"]
    case = f"step --steps {count:,} on the seed program (--lr {LR:g}), whole command"
    if not installed("micrograd"):
        mine = statistics.median(run_json(ours)[0] for _ in range(repeat))
        return [row("5 many steps", case, mine, "s", "micrograd (not installed)")]
    peer = [sys.executable, "-c", MICROGRAD_STEPS, str(count), str(LR)]
    mine, theirs = [], []
    for _ in range(repeat):  # alternate, so that a busy moment hits both sides alike
        seconds, our_result = run_json(ours)
        mine.append(seconds)
        seconds, their_result = run_json(peer)
        theirs.append(seconds)
    for name, value in their_result["after"]["values"].items():
        if abs(our_result["after"]["values"][name] - value) > 1e-9 * max(1.0, abs(value)):
            raise SystemExit(f"step: {name} ends at {our_result['after']['values'][name]!r}, micrograd {value!r}")
    mine, theirs = statistics.median(mine), statistics.median(theirs)
    print(f"5. {count:,} steps, median of {repeat}: gradcli {mine:.2f} s, micrograd {theirs:.2f} s", flush=True)
    return [row("5 many steps", case, mine, "s", "micrograd script", theirs, 10)]


def main(runs: int = 40, step_count: int = 100_000, repeat: int = 3) -> list[dict]:
    return startup(runs) + steps(step_count, repeat)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40, help="start-up runs")
    parser.add_argument("--steps", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each step command")
    options = parser.parse_args()
    main(options.runs, options.steps, options.repeat)
