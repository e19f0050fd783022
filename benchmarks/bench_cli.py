"""Targets 4 and 5, whole commands in fresh processes: the first picture, start-up, 100,000 steps.

4. `gradcli graph` of the seed example to SVG without Graphviz's `dot` on PATH (the WebAssembly
   Graphviz, its compiled code loaded from the cache) against the same command with `dot`.
4. Every command on a tiny program (`eval "a*b" --a 2 --b 3`, the same for graph, step, explain,
   check; `train --steps 1`; `plot` of 5 points; `audit` of a 20-line Value class with no random
   programs), with `--format json` and with the default table (or text, DOT, CSV), against
   `python -c "import click, rich, lark"`, all run in turn many times.
5. `gradcli step` on the seed program for 100,000 steps against a script doing the same 100,000
   updates with micrograd (rebuilding its graph every step), both as commands, start-up included.
   The seed's learning rate 0.001 diverges after 703 steps (the output is a cubic, unbounded below;
   gradcli stops there), so both run with --lr 1e-6, and their final values must agree.

gradcli's modules and every installed package are compiled to bytecode first, as `pip install`
does (under PYTHONDONTWRITEBYTECODE every run would otherwise compile them from source).

    python3 benchmarks/bench_cli.py [--runs N] [--steps N]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import compile_installed, gradcli_command, installed, row

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


def run_quietly(command: list[str], env: dict | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, env=env)
    return time.perf_counter() - start


#: A Value class of the lecture's kind, for `audit`: a small correct one that can only add (the
#: one the reliability tests audit), so that the audit runs few checks.
TINY_VALUE = Path(__file__).resolve().parents[1] / "tests" / "audit_cases" / "adds.py"

#: Each command on a tiny program: (name, arguments, has a JSON format)
TINY = "a*b", "--a", "2", "--b", "3"
COMMANDS = [
    ("eval", ["eval", *TINY], True),
    ("graph", ["graph", *TINY], False),  # DOT on stdout
    ("step", ["step", *TINY, "--lr", "0.1"], True),
    ("explain", ["explain", *TINY], True),
    ("check", ["check", *TINY], True),
    ("train", ["train", "--steps", "1", "--hidden", "2", "--samples", "10"], True),
    ("plot", ["plot", "y = x*x", "--x", "-1:1", "--points", "5"], False),  # CSV on stdout
    ("audit", ["audit", "{value}", "--examples", "0"], True),
]


def startup(runs: int) -> list[dict]:
    """Every command, in both formats, and the imports alone, run in turn `runs` times after a
    warm-up, so that a busy moment hits all alike. JSON within 1.5x the imports' time, tables 2x."""
    compile_installed()
    peer = [sys.executable, "-c", "import click, rich, lark"]
    cases = {"imports": peer}
    for name, args, has_json in COMMANDS:
        args = [str(TINY_VALUE) if a == "{value}" else a for a in args]
        cases[f"{name} table"] = gradcli_command() + args
        if has_json:
            cases[f"{name} json"] = gradcli_command() + args + ["--format", "json"]
    times: dict[str, list[float]] = {case: [] for case in cases}
    for command in cases.values():
        run_quietly(command)
    for _ in range(runs):
        for case, command in cases.items():
            times[case].append(run_quietly(command))
    medians = {case: statistics.median(t) for case, t in times.items()}
    theirs = medians.pop("imports")
    print(f"4. start-up, median of {runs} runs (import click, rich, lark: {theirs * 1000:.1f} ms)")
    rows = []
    for case, mine in medians.items():
        name, kind = case.split()
        shown = {"graph": "DOT", "plot": "CSV", "explain": "text"}.get(name, "table") if kind == "table" else "JSON"
        limit = 1.5 if kind == "json" or name in ("graph", "plot") else 2.0  # machine-readable text: as JSON
        print(f"   {name:<8} {shown:<6} {mine * 1000:7.1f} ms  {mine / theirs:4.2f}x", flush=True)
        goal = f"gradcli <= {limit:g}x the peer's time"
        rows.append(
            row("4 start-up", f"{name} ({shown}) on a tiny program", mine * 1000, "ms",
                "import click, rich, lark", theirs * 1000, 1 / limit, goal=goal)
        )  # fmt: skip
    return rows


SEED_SVG = ["graph", *SEED]


def picture(runs: int) -> list[dict]:
    """The seed example to SVG without dot (WebAssembly, compiled code from the cache) and with dot."""
    if shutil.which("dot") is None:
        print("4. first picture: Graphviz's dot is not installed, nothing to compare with")
        return []
    compile_installed()
    with tempfile.TemporaryDirectory() as folder:
        without = {**os.environ, "PATH": _path_without("dot", Path(folder) / "bin")}
        ours = gradcli_command() + SEED_SVG + ["--out", str(Path(folder) / "wasm.svg")]
        theirs = gradcli_command() + SEED_SVG + ["--out", str(Path(folder) / "dot.svg")]
        run_quietly(ours, without), run_quietly(theirs)  # the first fills the cache, if it was empty
        times = [(run_quietly(ours, without), run_quietly(theirs)) for _ in range(runs)]
    mine, peer = (statistics.median(side) for side in zip(*times))
    print(f"4. first picture, median of {runs}: without dot {mine * 1000:.0f} ms, with dot {peer * 1000:.0f} ms")
    case = "graph of the seed example to SVG without dot (WebAssembly), whole command"
    goal = "gradcli <= 1.5x the peer's time"
    return [row("4 first picture", case, mine * 1000, "ms", "the same with dot", peer * 1000, 1 / 1.5, goal=goal)]


def _path_without(program: str, folder: Path) -> str:
    """A PATH of one new folder of links to everything on PATH but `program` (a fresh machine's PATH)."""
    folder.mkdir()
    for entry in os.environ.get("PATH", "").split(os.pathsep):
        if not os.path.isdir(entry):
            continue
        for found in os.scandir(entry):
            target = folder / found.name
            if found.name != program and not target.exists() and not target.is_symlink():
                target.symlink_to(found.path)
    return str(folder)


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
    return [row("5 many steps", case, mine, "s", "micrograd script", theirs, 3)]


def main(runs: int = 20, step_count: int = 100_000, repeat: int = 3) -> list[dict]:
    return picture(runs) + startup(runs) + steps(step_count, repeat)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="runs of each start-up and picture command")
    parser.add_argument("--steps", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each step command")
    options = parser.parse_args()
    main(options.runs, options.steps, options.repeat)
