"""`gradcli step --steps N` against the same N updates written with micrograd's `Value`.

gradcli compiles the program once and re-runs it (`descent.Descent`, what the step command runs);
micrograd rebuilds the expression every step, zeroes the leaves' grads, calls backward and moves
the leaves. Both end at the same numbers (checked). The median of several runs.

    python3 benchmarks/bench_step.py [--steps N] [--repeat R]
"""

from __future__ import annotations

import argparse
import statistics
import time

from micrograd.engine import Value

from gradcli.descent import Descent
from gradcli.parser import parse

#: program, bindings, lr, the same program over micrograd Values (keyword arguments by name)
CASES = [
    ("L=(a*b+c)*f", {"a": 2.0, "b": -3.0, "c": 10.0, "f": -2.0}, 1e-6, lambda a, b, c, f: (a * b + c) * f),
    ("(x-3)**2 + (y+1)**2", {"x": 0.0, "y": 0.0}, 1e-3, lambda x, y: (x - 3) ** 2 + (y + 1) ** 2),
    (
        "relu(x1*w1 + x2*w2 + b)",
        {"x1": 2.0, "x2": 0.5, "w1": -3.0, "w2": 1.0, "b": 6.9},
        1e-5,
        lambda x1, x2, w1, w2, b: (x1 * w1 + x2 * w2 + b).relu(),
    ),
]


def gradcli_steps(source, bindings, lr, steps):
    graph = parse(source)
    descent = Descent(graph, bindings, graph.output, lr, list(graph.variables.values()))
    began = time.perf_counter()
    descent.run(steps)
    return time.perf_counter() - began, descent.bindings()


def micrograd_steps(function, bindings, lr, steps):
    leaves = {name: Value(value) for name, value in bindings.items()}
    began = time.perf_counter()
    for _ in range(steps):
        out = function(**leaves)
        for leaf in leaves.values():
            leaf.grad = 0.0
        out.backward()
        for leaf in leaves.values():
            leaf.data -= lr * leaf.grad
    return time.perf_counter() - began, {name: leaf.data for name, leaf in leaves.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    per = 1000 / args.steps
    print(f"{args.steps} steps, median of {args.repeat}; ms per 1000 steps")
    for source, bindings, lr, function in CASES:
        ours = [gradcli_steps(source, bindings, lr, args.steps) for _ in range(args.repeat)]
        theirs = [micrograd_steps(function, bindings, lr, args.steps) for _ in range(args.repeat)]
        if ours[0][1] != theirs[0][1]:
            raise SystemExit(f"{source}: different results {ours[0][1]} != {theirs[0][1]}")
        a = statistics.median(t for t, _ in ours) * per * 1000
        b = statistics.median(t for t, _ in theirs) * per * 1000
        print(f"{source:26}  gradcli {a:6.2f}  micrograd {b:6.2f}  micrograd/gradcli {b / a:4.1f}x")


if __name__ == "__main__":
    main()
