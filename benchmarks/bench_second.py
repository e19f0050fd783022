"""Target 8: derivatives as programs and second derivatives.

8. - `hessian` of a 20-variable program (a ring of coupled terms, every pair of neighbours
     interacting): gradcli's `hessian.hessian` from the parsed program, against PyTorch's
     `torch.autograd.functional.hessian` of the same function on a float64 tensor (the goal:
     faster). The matrices must agree.
   - `diff` of a 10,000-statement chain `x = tanh(x*w + b)`, from text to printed program
     (parse, the backward pass that builds nodes, the printer): the goal under 2 s; the output
     must grow linearly (the text for 10,000 statements about twice that for 5,000).

    python3 benchmarks/bench_second.py [--size N] [--repeat R]
"""

from __future__ import annotations

import argparse
import math
import time

from common import installed, median_time, row

from gradcli.formulas import differentiate
from gradcli.hessian import hessian
from gradcli.parser import parse

VARIABLES = 20


def ring_program(n: int = VARIABLES) -> str:
    """L = sum over i of tanh(x_i*x_{i+1} + 0.5)**2 + exp(-x_i**2)*x_{i+2}, indices mod n."""
    terms = [f"tanh(x{i}*x{(i + 1) % n} + 0.5)**2 + exp(-x{i}**2)*x{(i + 2) % n}" for i in range(n)]
    return "L = " + " + ".join(terms)


def ring_torch(x):
    import torch

    n = x.shape[0]
    total = x.new_zeros(())
    for i in range(n):
        total = total + torch.tanh(x[i] * x[(i + 1) % n] + 0.5) ** 2 + torch.exp(-(x[i] ** 2)) * x[(i + 2) % n]
    return total


def point(n: int = VARIABLES) -> list[float]:
    return [math.sin(1.7 * i + 0.3) for i in range(n)]


def hessian_rows(repeat: int) -> list[dict]:
    graph = parse(ring_program())
    at = point()
    bindings = {f"x{i}": v for i, v in enumerate(at)}
    variables = [graph.variables[f"x{i}"] for i in range(VARIABLES)]
    ours, result = median_time(lambda: hessian(graph, bindings, graph.output, variables), repeat)
    case = f"hessian, {VARIABLES} variables (ring of tanh/exp terms)"
    print(f"{case}: gradcli {ours * 1000:.2f} ms", flush=True)
    if not installed("torch"):
        return [row("8 second order", case, ours * 1000, "ms", "torch (not installed)")]
    import torch
    from torch.autograd.functional import hessian as torch_hessian

    x = torch.tensor(at, dtype=torch.float64)
    theirs, matrix = median_time(lambda: torch_hessian(ring_torch, x), repeat)
    worst = max(
        abs(a - b) for ours_row, their_row in zip(result.matrix, matrix.tolist()) for a, b in zip(ours_row, their_row)
    )
    if worst > 1e-10:
        raise SystemExit(f"hessian: gradcli and PyTorch disagree by {worst}")
    print(f"{case}: torch.autograd.functional.hessian {theirs * 1000:.2f} ms", flush=True)
    return [row("8 second order", case, ours * 1000, "ms", "torch.autograd.functional.hessian", theirs * 1000, 1)]


def chain(n: int) -> str:
    return "x = 0.5\n" + "x = tanh(x*w + b)\n" * n


def diff_rows(size: int, repeat: int) -> list[dict]:
    def run(n: int) -> str:
        graph = parse(chain(n))
        return differentiate(graph, graph.output).program()

    half, text_half = median_time(lambda: run(size // 2), 1, time.process_time)
    seconds, text = median_time(lambda: run(size), repeat, time.process_time)
    wall, _ = median_time(lambda: run(size), 1)
    growth = len(text) / len(text_half)
    case = (
        f"diff of a {size:,}-statement chain, CPU time (text to program; {len(text) / size:.0f} bytes/statement, "
        f"x{growth:.2f} for twice the statements, x{seconds / half:.2f} the time)"
    )
    print(f"{case}: {seconds:.3f} s CPU, {wall:.3f} s wall ({size // 2:,} statements: {half:.3f} s CPU)", flush=True)
    if not 1.8 <= growth <= 2.3:
        raise SystemExit(f"diff: the output is not linear in the program: x{growth:.2f} for twice the statements")
    return [row("8 second order", case, seconds, "s", below=2)]


def main(size: int = 10_000, repeat: int = 3) -> list[dict]:
    return hessian_rows(repeat) + diff_rows(size, repeat)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10_000, help="statements of the diff chain")
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    for line in main(options.size, options.repeat):
        print(line)
