"""Training a small classifier with micrograd's demo recipe, one graph run over the whole batch.

The recipe: an MLP scores each 2-D point; the loss is the SVM max-margin loss
`relu(1 - y*score)` averaged over the samples plus L2 regularisation `1e-4 * sum(p*p)`; full-batch
gradient descent with the learning rate decaying linearly from LR to LR/10 over the steps. The
points come from `datasets.py`.

micrograd rebuilds a scalar graph per sample at every step. Here the per-sample graph (inputs x1,
x2, label y and the parameters as its variables) is built once with `Value` and `gradcli.nn`, and
the engine runs it over all the samples at a time, with numpy arrays as node values.
"""

from __future__ import annotations

import math
import os
import random
from dataclasses import dataclass, field

import numpy as np

from .autodiff import Compiled
from .datasets import Data
from .errors import EvalError, InputError
from .nn import MLP
from .ops import array_ops
from .value import Value, to_graph

ALPHA = 1e-4  # L2 regularisation strength, as in micrograd's demo
CHUNK = 4096  # samples per pass: every node keeps an array of this length


# ---- the network as one graph -------------------------------------------------------------------


class Network:
    """An MLP and its per-sample loss as one graph, compiled once to run over numpy arrays.

    The graph's variables are the inputs x1, x2, the label y and the parameters p0, p1, ...;
    its named nodes are `score`, `hinge` (= relu(1 - y*score)) and `reg` (= 1e-4 * sum(p*p)).
    """

    def __init__(self, hidden: list[int], seed: int):
        state = random.getstate()
        random.seed(seed)  # micrograd's initialisation draws from `random`: same seed, same network
        try:
            model = MLP(2, [*hidden, 1])
        finally:
            random.setstate(state)
        params = model.parameters()
        for k, p in enumerate(params):
            p.label = f"p{k}"
        x1, x2, y = Value(0.0, label="x1"), Value(0.0, label="x2"), Value(0.0, label="y")
        score = model([x1, x2])
        hinge = (1 - y * score).relu()
        reg = ALPHA * sum(p * p for p in params)
        score.label, hinge.label, reg.label = "score", "hinge", "reg"
        self.graph, _, _ = to_graph(score, hinge, reg)
        self.program = Compiled(self.graph, ops=array_ops())
        ids = self.graph.variables | self.graph.named
        self.sizes = [2, *hidden, 1]
        self.params = np.array([p.data for p in params])
        self.param_ids = [ids[p.label] for p in params]
        self.x1, self.x2, self.y = ids["x1"], ids["x2"], ids["y"]
        self.score, self.hinge, self.reg = ids["score"], ids["hinge"], ids["reg"]

    def _forward(self, x1: np.ndarray, x2: np.ndarray, y) -> list:
        values = self.program.values({})
        for i, p in zip(self.param_ids, self.params.tolist()):
            values[i] = p
        values[self.x1], values[self.x2], values[self.y] = x1, x2, y
        return self.program.forward(values)

    def scores(self, x1: np.ndarray, x2: np.ndarray) -> np.ndarray:
        """The score of every point (positive: class 1)."""
        return np.concatenate([self._forward(x1[s], x2[s], 0.0)[self.score] for s in _chunks(len(x1))])

    def loss(self, data: Data, gradient: bool = True) -> tuple[float, float, np.ndarray | None]:
        """(loss, accuracy, d loss / d parameters or None) over the whole data set."""
        n = len(data)
        hinge, correct, grad = 0.0, 0, np.zeros(len(self.params)) if gradient else None
        for s in _chunks(n):
            values = self._forward(data.x1[s], data.x2[s], data.y[s])
            hinge += float(np.sum(values[self.hinge]))
            correct += int(np.count_nonzero((values[self.score] > 0) == (data.y[s] > 0)))
            if gradient:
                grads = self.program.backward(values, self.hinge, seed=np.full(len(data.y[s]), 1.0 / n))
                grad += np.array([grads[i] for i in self.param_ids]).sum(axis=1)
        if gradient:  # the regulariser depends on the parameters only: a scalar pass
            grads = self.program.backward(values, self.reg)
            grad += np.array([grads[i] for i in self.param_ids])
        return hinge / n + float(values[self.reg]), correct / n, grad


def _chunks(n: int) -> list[slice]:
    return [slice(start, start + CHUNK) for start in range(0, n, CHUNK)]


# ---- the size a machine can train ---------------------------------------------------------------

#: Memory per graph node: about 500 bytes of structure, and 10 bytes per sample of a pass for its
#: value and gradient arrays (measured: MLP 2-300-300-1, 456,000 nodes, 0.64 GB at 100 samples,
#: 1.9 GB at 400). The graph has about 5 nodes per parameter (a product, a sum and L2's two).
NODE_BYTES, SAMPLE_BYTES, NODES_PER_PARAMETER = 500, 10, 5


def fits(hidden: list[int], samples: int) -> None:
    """Refuse, before building anything, a network whose training would not fit in this machine's memory."""
    sizes = [2, *hidden, 1]
    parameters = sum((n_in + 1) * n_out for n_in, n_out in zip(sizes, sizes[1:]))
    batch = min(samples, CHUNK)
    need = parameters * NODES_PER_PARAMETER * (NODE_BYTES + SAMPLE_BYTES * batch)
    have = _memory()
    if need > have:
        shape = "-".join(map(str, sizes))
        raise InputError(
            f"the network {shape} ({parameters:,} parameters) would need about {_size(need)} of memory to train on"
            f" {batch:,} samples at a time, more than this machine's {_size(have)}; use smaller --hidden layers"
        )


def _memory() -> int:
    """This machine's physical memory in bytes (8 GB where the system does not say)."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return 8 * 2**30


def _size(n: float) -> str:
    return f"{n / 2**30:,.0f} GB" if n >= 2**30 else f"{n / 2**20:,.0f} MB"


# ---- the loop -----------------------------------------------------------------------------------


@dataclass
class History:
    """Loss and accuracy at each step, before its update (as micrograd prints), and after the last."""

    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    final_loss: float = math.nan
    final_accuracy: float = math.nan


class Training:
    """Full-batch descent with the learning rate decaying from lr to lr/10 over the planned steps.

    A Ctrl-C stops it after the last whole step, wherever it lands: `done` holds that step and
    the parameters after it in one tuple, assigned at once, and `finish()` goes back to it.
    """

    def __init__(self, data: Data, hidden: list[int], lr: float, seed: int):
        fits(hidden, len(data))
        self.data, self.lr = data, lr
        self.network, self.history = Network(hidden, seed), History()
        self.done = (0, self.network.params)  # (steps finished, the parameters after them)
        self.interrupted = False

    @property
    def steps(self) -> int:
        """How many steps are finished."""
        return self.done[0]

    def run(self, steps: int, on_step=None) -> None:
        """Take `steps` steps (or fewer, on Ctrl-C), calling `on_step(k, loss, accuracy)` after step k."""
        network, history = self.network, self.history
        try:
            with np.errstate(all="ignore"):
                for k in range(steps):
                    loss, accuracy, grad = network.loss(self.data)
                    _check(loss, k)
                    params = network.params - self.lr * (1.0 - 0.9 * k / steps) * grad
                    history.loss.append(loss)
                    history.accuracy.append(accuracy)
                    self.done = (k + 1, params)
                    network.params = params
                    if on_step is not None:
                        on_step(k + 1, loss, accuracy)
        except KeyboardInterrupt:
            self.interrupted = True

    def finish(self) -> None:
        """Go back to the last whole step and measure the loss and accuracy there."""
        k, self.network.params = self.done
        del self.history.loss[k:], self.history.accuracy[k:]
        with np.errstate(all="ignore"):
            self.history.final_loss, self.history.final_accuracy, _ = self.network.loss(self.data, gradient=False)
        _check(self.history.final_loss, k)


def train(data: Data, hidden: list[int], steps: int, lr: float, seed: int, on_step=None) -> tuple[Network, History]:
    """`Training` run for `steps` steps and finished; `on_step(k, loss, accuracy)` after each."""
    training = Training(data, hidden, lr, seed)
    training.run(steps, on_step)
    if training.interrupted:
        raise KeyboardInterrupt
    training.finish()
    return training.network, training.history


def _check(loss: float, updates: int) -> None:
    if not math.isfinite(loss):
        plural = "" if updates == 1 else "s"
        raise EvalError(f"training diverged: the loss is {loss} after {updates} update{plural}; try a smaller --lr")
