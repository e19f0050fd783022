"""Every performance target of the project against its peer, measured in one run; a summary table.

    python benchmarks/run.py              # the full run (several minutes; micrograd's side is slow)
    python benchmarks/run.py --install    # first pip-install the missing peers (micrograd, torch)
    python benchmarks/run.py --quick      # small sizes: checks that everything runs, not the targets

Targets: 1 engine (bench_engine), 2 Value API (bench_value), 3 from text (bench_text), 4 first picture
and start-up, 5 many steps (bench_cli), 6 train (bench_train), 7 batch and plot (bench_batch; `--big` adds
the 10,000,000-row file), 8 hessian and diff (bench_second),
and backward() with and without create_graph (bench_create_graph). A peer that is not installed is skipped with a
note. Figures are medians; ratios are peer / gradcli, so "12x" means gradcli is 12 times faster.
"""

from __future__ import annotations

import argparse
import importlib
import platform
import subprocess
import sys

from common import installed, row

#: import name -> what `pip install` gets (the versions the targets were set against)
PEERS = {"micrograd": "micrograd==0.1.0", "torch": "torch==2.13.0"}


def install_peers() -> None:
    for module, requirement in PEERS.items():
        if not installed(module):
            print(f"installing {requirement} ...", flush=True)
            if subprocess.run([sys.executable, "-m", "pip", "install", "-q", requirement]).returncode:
                print(f"could not install {requirement}: its comparisons are skipped", flush=True)


def optional(name: str):
    """A benchmark module written alongside this one, or None (with a note) while it is missing."""
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        if exc.name != name:
            raise
        print(f"benchmarks/{name}.py is not there: its target is skipped", flush=True)
        return None


def value_rows(size: int, repeat: int) -> list[dict]:
    """Target 2 from bench_value's rows (us per node, against micrograd)."""
    module = optional("bench_value")
    if module is None:
        return []
    rows = []
    for line in module.main(size, repeat):
        theirs = line.get("micrograd_us")
        peer = "micrograd" if theirs is not None else "micrograd (not installed)"
        rows.append(row("2 Value API", line["case"], line["gradcli_us"], "us/node", peer, theirs, 5))
    return rows


def train_rows(steps: int) -> list[dict]:
    """Target 6 from bench_train's rows (seconds per step and final accuracy, against micrograd's demo)."""
    module = optional("bench_train")
    if module is None:
        return []
    lines = module.main(steps)
    ours = lines[0]
    case = f"MLP 2-16-16-1, moons, per step; accuracy gradcli {ours['accuracy']:.0%}"
    if len(lines) < 2:
        return [row("6 train", case, ours["s_per_step"] * 1000, "ms", "micrograd (not installed)")]
    theirs = lines[1]
    case += f", micrograd {theirs['accuracy']:.0%}"
    return [row("6 train", case, ours["s_per_step"] * 1000, "ms", theirs["peer"], theirs["s_per_step"] * 1000, 50)]


def number(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.3g}" if value < 100 else f"{value:,.0f}"


def table(rows: list[dict]) -> str:
    """The summary as a Markdown table."""
    lines = [
        "| target | case | gradcli | peer | peer's | ratio | goal | met |",
        "| --- | --- | ---: | --- | ---: | ---: | --- | --- |",
    ]
    for r in rows:
        ratio = f"{r['ratio']:.1f}x" if r["ratio"] is not None else "-"
        met = {True: "yes", False: "**no**", None: ""}[r["met"]]
        peer_value = f"{number(r['peer_value'])} {r['unit']}" if r["peer_value"] is not None else "-"
        cells = [
            r["target"], r["case"], f"{number(r['gradcli'])} {r['unit']}", r["peer"] or "-", peer_value,
            ratio, r["goal"], met,
        ]  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--install", action="store_true", help="pip-install missing peers first")
    parser.add_argument("--quick", action="store_true", help="small sizes, to check that everything runs")
    parser.add_argument("--big", action="store_true", help="also eval --data on a 10,000,000-row file (1 GB)")
    options = parser.parse_args()
    if options.install:
        install_peers()
    quick = options.quick
    for module, requirement in PEERS.items():
        if not installed(module):
            print(f"{module} is not installed: its comparisons are skipped (pip install {requirement})")

    import bench_cli
    import bench_engine
    import bench_text

    size, repeat = (2_000, 3) if quick else (100_000, 3)
    rows = bench_engine.main(size, repeat)
    rows += value_rows(2_000 if quick else 50_000, 3 if quick else 7)
    rows += bench_text.main(5_000 if quick else 250_000, 1 if quick else 3)
    rows += bench_cli.main(3 if quick else 20, 2_000 if quick else 100_000, 1 if quick else 3)
    rows += train_rows(3 if quick else 100)
    batch = optional("bench_batch")
    if batch is not None:
        rows += batch.main(20_000 if quick else 1_000_000, 1 if quick else 3, 2 if quick else 10, options.big)
    second = optional("bench_second")
    if second is not None:
        rows += second.main(1_000 if quick else 10_000, 1 if quick else 3)
    create_graph = optional("bench_create_graph")  # backward() with and without create_graph: its own table
    if create_graph is not None:
        create_graph.main(2_000 if quick else 100_000, 1 if quick else 7)

    print()
    print(f"Python {platform.python_version()} on {platform.machine()}, {platform.node() or 'this machine'}")
    print(table(rows))


if __name__ == "__main__":
    main()
