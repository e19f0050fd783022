"""`Value.backward()` alone, after `create_graph` was added: today's pass against main's code path
and micrograd's, and what `create_graph=True` costs, on bench_value's two graphs.

Each graph is built afresh (not timed) before every pass. "main's path" is the body `backward()` had
before the flag (`_count_users`, `_backpropagate`, `_restore`: the same functions, called directly),
so `main/now` near 1.00 says the flag costs the float pass nothing. Runs alternate between the
contenders to share the machine's noise; figures are medians in microseconds per graph node.

    python3 benchmarks/bench_create_graph.py [--size N] [--repeat R]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time

from bench_value import CASES, peer

from gradcli import Value
from gradcli.value import _backpropagate, _count_users, _restore

sys.setrecursionlimit(1_000_000)


def main_path(out: Value) -> None:
    """`Value.backward()` as main has it (no flag)."""
    found, stale = [out], []
    try:
        _count_users(found, stale)
        _backpropagate(out)
    except BaseException:
        _restore(found, stale)
        raise
    for v, g in stale:
        v.grad += g


def contenders(micrograd) -> dict:
    """name -> (Value class, pass over a built output)."""
    found = {
        "now": (Value, lambda out: out.backward()),
        "main": (Value, main_path),
        "create_graph": (Value, lambda out: out.backward(create_graph=True)),
    }
    if micrograd is not None:
        found["micrograd"] = (micrograd, lambda out: out.backward())
    return found


def main(size: int = 100_000, repeat: int = 7) -> list[dict]:
    runners = contenders(peer())
    print(f"backward() alone, {size:,} steps/pairs, median of {repeat} (us per node)")
    print(f"{'graph':<28} " + " ".join(f"{name:>12}" for name in runners) + f" {'main/now':>9}")
    rows = []
    for case, ops, builder in CASES:
        nodes = size * ops
        times: dict[str, list[float]] = {name: [] for name in runners}
        grads = {}
        for _ in range(repeat):
            for name, (value, run) in runners.items():
                out, leaf = builder(value, size)
                gc.collect()
                start = time.perf_counter()
                run(out)
                times[name].append(time.perf_counter() - start)
                grads[name] = leaf.grad.data if isinstance(leaf.grad, Value) else leaf.grad
                del out, leaf
        reference = grads["main"]
        for name, grad in grads.items():
            if abs(grad - reference) > 1e-9 * max(1.0, abs(reference)):
                raise SystemExit(f"{case}: {name} gives {grad!r}, main's path {reference!r}")
        row = {"case": case} | {f"{name}_us": statistics.median(t) / nodes * 1e6 for name, t in times.items()}
        row["main_over_now"] = row["main_us"] / row["now_us"]
        rows.append(row)
        figures = " ".join(f"{row[f'{name}_us']:>12.3f}" for name in runners)
        print(f"{case:<28} {figures} {row['main_over_now']:>8.2f}x")
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    options = parser.parse_args()
    main(options.size, options.repeat)
