"""`gradcli train` against micrograd's own demo recipe, on the same data and the same network.

micrograd's demo (README and demo.ipynb): MLP(2, [16, 16, 1]), SVM max-margin loss plus
1e-4 L2, full-batch descent for 100 steps with the learning rate 1.0 - 0.9*k/100, rebuilding its
scalar graph for every sample at every step. Both start from the same weights (micrograd's `nn`
draws them from `random`, seeded alike) and see the same 100 moons points from gradcli's
generator. Prints seconds per step, the ratio, and each final accuracy.

    python3 benchmarks/bench_train.py [--steps 100] [--samples 100] [--seed 1337]
"""

from __future__ import annotations

import argparse
import random
import sys
import time

from gradcli.datasets import load_data
from gradcli.training import train

sys.setrecursionlimit(100_000)


def micrograd_demo(data, steps: int, seed: int) -> tuple[float, float]:
    """micrograd's demo loop, as written there; returns (seconds per step, final accuracy)."""
    from micrograd.engine import Value
    from micrograd.nn import MLP

    X = [list(p) for p in zip(data.x1.tolist(), data.x2.tolist())]
    y = data.y.tolist()
    random.seed(seed)
    model = MLP(2, [16, 16, 1])

    def loss():
        inputs = [list(map(Value, xrow)) for xrow in X]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        alpha = 1e-4
        reg_loss = alpha * sum(p * p for p in model.parameters())
        total_loss = data_loss + reg_loss
        accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(y, scores)]
        return total_loss, sum(accuracy) / len(accuracy)

    start = time.perf_counter()
    for k in range(steps):
        total_loss, acc = loss()
        model.zero_grad()
        total_loss.backward()
        learning_rate = 1.0 - 0.9 * k / steps
        for p in model.parameters():
            p.data -= learning_rate * p.grad
    per_step = (time.perf_counter() - start) / steps
    return per_step, loss()[1]


def gradcli_train(data, steps: int, seed: int) -> tuple[float, float]:
    start = time.perf_counter()
    _, history = train(data, [16, 16], steps, 1.0, seed)
    return (time.perf_counter() - start) / steps, history.final_accuracy


def _row(peer: str, seconds: float, accuracy: float) -> dict:
    return {"peer": peer, "s_per_step": seconds, "accuracy": accuracy}


def main(steps: int = 100, samples: int = 100, seed: int = 1337) -> list[dict]:
    data = load_data("moons", samples, seed)
    rows = [_row("gradcli train", *gradcli_train(data, steps, seed))]
    try:
        rows.append(_row("micrograd demo", *micrograd_demo(data, steps, seed)))
    except ImportError:
        print("micrograd is not installed (pip install micrograd): its row is skipped")
    ours = rows[0]["s_per_step"]
    print(f"train: MLP 2-16-16-1 on {samples} moons points, {steps} steps, seed {seed}")
    print(f"{'peer':<16} {'s/step':>10} {'final acc':>10} {'gradcli is':>11}")
    for row in rows:
        row["ratio"] = row["s_per_step"] / ours
        print(f"{row['peer']:<16} {row['s_per_step']:>10.5f} {row['accuracy']:>10.1%} {row['ratio']:>10.1f}x")
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1337)
    options = parser.parse_args()
    main(options.steps, options.samples, options.seed)
