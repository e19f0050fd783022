"""Target 1, the engine: forward + backward over an already-built graph, against micrograd and PyTorch.

gradcli parses and compiles each program once, outside the timing, then times `forward` + `backward`
(binding the variables included). The peers have no separate forward: micrograd and PyTorch compute
values while they build, so their time is build + backward, as users run them (garbage collector on,
micrograd's recursion limit raised). Graphs: a 100,000-step chain `x = x*1.0001 + 0.01`, the same
chain through tanh (micrograd has no tanh op), and a 100,000-pair sum `sum a_i*b_i + a_i**2`.
Times per node count the program's ops (2 per chain step, 3 per tanh step, 4 per pair) for everyone.

    python3 benchmarks/bench_engine.py [--size N] [--repeat R]
"""

from __future__ import annotations

import argparse
import sys

from common import installed, median_time, row

from gradcli.engine import compiled
from gradcli.parser import parse

sys.setrecursionlimit(1_000_000)  # micrograd's backward recurses once per level of the graph


def chain_text(n: int, tanh: bool = False) -> str:
    step = "x = tanh(x*1.0001 + 0.01)" if tanh else "x = x*1.0001 + 0.01"
    return "x = 0.5\n" + "\n".join([step] * n)


def pairs_text(n: int) -> str:
    return "L = " + " + ".join(f"a{i}*b{i} + a{i}**2" for i in range(n))


def pair_values(n: int) -> tuple[list[float], list[float]]:
    return [0.001 * (i % 97) for i in range(n)], [0.002 * (i % 89) for i in range(n)]


def pair_bindings(n: int) -> dict[str, float]:
    a, b = pair_values(n)
    return {f"a{i}": a[i] for i in range(n)} | {f"b{i}": b[i] for i in range(n)}


# ---- the peers: build + backward, returning d output / d (first leaf) ---------------------------


def micrograd_chain(n: int, tanh: bool = False) -> float:
    from micrograd.engine import Value

    x0 = x = Value(0.5)
    for _ in range(n):
        x = x * 1.0001 + 0.01
    x.backward()
    return x0.grad


def micrograd_pairs(n: int) -> float:
    from micrograd.engine import Value

    a, b = pair_values(n)
    a = [Value(v) for v in a]
    b = [Value(v) for v in b]
    total = sum(ai * bi + ai**2 for ai, bi in zip(a, b))
    total.backward()
    return a[0].grad


def torch_chain(n: int, tanh: bool = False) -> float:
    import torch

    x0 = x = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
    for _ in range(n):
        x = torch.tanh(x * 1.0001 + 0.01) if tanh else x * 1.0001 + 0.01
    x.backward()
    return x0.grad.item()


def torch_pairs(n: int) -> float:
    import torch

    a, b = pair_values(n)
    a = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in a]
    b = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in b]
    total = sum(ai * bi + ai**2 for ai, bi in zip(a, b))
    total.backward()
    return a[0].grad.item()


# ---- gradcli -------------------------------------------------------------------------------------


class Prepared:
    """A parsed and compiled program, and the forward + backward pass that is timed."""

    def __init__(self, text: str, bindings: dict[str, float], leaf: str):
        self.graph = parse(text)
        self.program = compiled(self.graph)
        self.bindings, self.leaf = bindings, self.graph.variables[leaf]
        self.run()  # builds the backward program once, as every later run reuses it

    def run(self) -> float:
        program = self.program
        values = program.forward(program.values(self.bindings))
        return program.backward(values, self.graph.output)[self.leaf]


#: case, ops per step, goal per peer, gradcli program, peers
def cases(n: int):
    return [
        ("chain x = x*1.0001 + 0.01", 2, lambda: Prepared(chain_text(n), {}, "x"),
         {"micrograd": (10, lambda: micrograd_chain(n)), "torch": (5, lambda: torch_chain(n))}),
        ("chain x = tanh(x*1.0001 + 0.01)", 3, lambda: Prepared(chain_text(n, True), {}, "x"),
         {"torch": (5, lambda: torch_chain(n, True))}),
        ("sum a_i*b_i + a_i**2", 4, lambda: Prepared(pairs_text(n), pair_bindings(n), "a0"),
         {"micrograd": (10, lambda: micrograd_pairs(n)), "torch": (5, lambda: torch_pairs(n))}),
    ]  # fmt: skip


def main(size: int = 100_000, repeat: int = 5) -> list[dict]:
    """Summary rows (us per node, gradcli against each peer); prints the figures as it goes."""
    rows = []
    print(f"1. engine: forward + backward, {size:,} steps/pairs, median of {repeat}", flush=True)
    for case, ops, prepare, peers in cases(size):
        prepared = prepare()
        nodes = size * ops
        ours, our_grad = median_time(prepared.run, repeat)
        print(f"   {case}: gradcli {ours / nodes * 1e6:.3f} us/node", flush=True)
        for peer, (goal, function) in peers.items():
            if not installed(peer):
                rows.append(row("1 engine", case, ours / nodes * 1e6, "us/node", f"{peer} (not installed)"))
                continue
            theirs, their_grad = median_time(function, repeat)
            if abs(our_grad - their_grad) > 1e-9 * max(1.0, abs(their_grad)):
                raise SystemExit(f"{case}: gradients disagree: gradcli {our_grad!r}, {peer} {their_grad!r}")
            rows.append(row("1 engine", case, ours / nodes * 1e6, "us/node", peer, theirs / nodes * 1e6, goal))
            print(f"   {case}: {peer} {theirs / nodes * 1e6:.3f} us/node ({theirs / ours:.1f}x)", flush=True)
        del prepared
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    options = parser.parse_args()
    main(options.size, options.repeat)
