"""The Python `Value` API against micrograd's: eager build plus backward on the same two graphs.

A 50,000-step chain `x = x*1.0001 + 0.01` and a 50,000-pair sum `sum a_i*b_i + a_i**2`, each
built and differentiated from scratch per run; the median of several runs, garbage collector on,
as users run them, the two libraries' runs taken in turn. micrograd's recursive backward needs
the recursion limit raised (users must, past depth ~1,000). Times are per graph node, counting
the program's ops (2 per chain step, 4 per pair) for both libraries alike.

    python3 benchmarks/bench_value.py [--size N] [--repeat R]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time

from gradcli import Value

sys.setrecursionlimit(1_000_000)


def chain(value, n):
    x0 = x = value(0.5)
    for _ in range(n):
        x = x * 1.0001 + 0.01
    return x, x0


def pairs(value, n):
    a = [value(0.001 * (i % 97)) for i in range(n)]
    b = [value(0.002 * (i % 89)) for i in range(n)]
    return sum(ai * bi + ai**2 for ai, bi in zip(a, b)), a[7]


#: (graph, program ops per step or pair, builder(value_class, n) -> (output, a leaf))
CASES = [("chain x = x*1.0001 + 0.01", 2, chain), ("sum a_i*b_i + a_i**2", 4, pairs)]


def timed(value, builder, n: int) -> tuple[float, float]:
    """Seconds for one build + backward, and a gradient to check the two libraries agree."""
    gc.collect()
    start = time.perf_counter()
    out, leaf = builder(value, n)
    out.backward()
    seconds = time.perf_counter() - start
    return seconds, leaf.grad


def both(libraries: list, builder, n: int, repeat: int) -> list[tuple[float, float]]:
    """Each library's median seconds and last gradient, their runs taken in turn so that a busy
    moment of a shared machine hits both alike (a run of one then of the other, `repeat` times)."""
    runs = [[timed(value, builder, n) for value in libraries] for _ in range(repeat)]
    return [(statistics.median(r[k][0] for r in runs), runs[-1][k][1]) for k in range(len(libraries))]


def peer():
    """micrograd's Value, or None when it is not installed."""
    try:
        from micrograd.engine import Value as MicrogradValue
    except ImportError:
        return None
    return MicrogradValue


def main(size: int = 50_000, repeat: int = 5) -> list[dict]:
    micrograd = peer()
    rows = []
    print(f"Value API, build + backward, {size:,} steps/pairs, median of {repeat} (us per node)")
    print(f"{'graph':<28} {'gradcli':>9} {'micrograd':>10} {'ratio':>7}")
    for case, ops, builder in CASES:
        nodes = size * ops
        measured = both([Value] + ([micrograd] if micrograd is not None else []), builder, size, repeat)
        ours, our_grad = measured[0]
        row = {"case": case, "nodes": nodes, "gradcli_us": ours / nodes * 1e6}
        if micrograd is not None:
            theirs, their_grad = measured[1]
            if abs(our_grad - their_grad) > 1e-9 * max(1.0, abs(their_grad)):
                raise SystemExit(f"{case}: gradients disagree: gradcli {our_grad!r}, micrograd {their_grad!r}")
            row |= {"micrograd_us": theirs / nodes * 1e6, "ratio": theirs / ours}
        rows.append(row)
        shown = f"{row['micrograd_us']:>10.3f} {row['ratio']:>6.1f}x" if micrograd else "  (micrograd not installed)"
        print(f"{case:<28} {row['gradcli_us']:>9.3f} {shown}")
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=5)
    options = parser.parse_args()
    main(options.size, options.repeat)
