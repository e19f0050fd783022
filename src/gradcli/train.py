"""Training a small classifier with micrograd's demo recipe, one graph run over the whole batch.

The recipe: an MLP scores each 2-D point; the loss is the SVM max-margin loss
`relu(1 - y*score)` averaged over the samples plus L2 regularisation `1e-4 * sum(p*p)`; full-batch
gradient descent with the learning rate decaying linearly from LR to LR/10 over the steps.

micrograd rebuilds a scalar graph per sample at every step. Here the per-sample graph (inputs x1,
x2, label y and the parameters as its variables) is built once with `Value` and `gradcli.nn`, and
the engine runs it over all the samples at a time, with numpy arrays as node values.
"""

from __future__ import annotations

import csv
import io
import math
import os
import random
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .autodiff import Compiled
from .errors import EvalError, InputError
from .nn import MLP
from .ops import array_ops
from .source import read_source
from .suggest import did_you_mean
from .value import Value, to_graph

ALPHA = 1e-4  # L2 regularisation strength, as in micrograd's demo
CHUNK = 4096  # samples per pass: every node keeps an array of this length
NOISE = 0.1
DATASETS = ("moons", "circles")


@dataclass
class Data:
    """Points (x1, x2) and labels -1 or 1."""

    x1: np.ndarray
    x2: np.ndarray
    y: np.ndarray
    name: str

    def __len__(self) -> int:
        return len(self.y)


# ---- data ---------------------------------------------------------------------------------------


def moons(n: int, seed: int, noise: float = NOISE) -> Data:
    """Two interleaving half circles (the shape of scikit-learn's make_moons), shuffled, with noise."""
    outer, inner = n // 2, n - n // 2
    t_out, t_in = np.linspace(0, np.pi, outer), np.linspace(0, np.pi, inner)
    x1 = np.concatenate([np.cos(t_out), 1 - np.cos(t_in)])
    x2 = np.concatenate([np.sin(t_out), 0.5 - np.sin(t_in)])
    return _shuffled(x1, x2, np.repeat([-1.0, 1.0], [outer, inner]), seed, noise, "moons")


def circles(n: int, seed: int, noise: float = NOISE, factor: float = 0.5) -> Data:
    """A circle around a smaller one (the shape of scikit-learn's make_circles), shuffled, with noise."""
    outer, inner = n // 2, n - n // 2
    t_out = np.linspace(0, 2 * np.pi, outer, endpoint=False)
    t_in = np.linspace(0, 2 * np.pi, inner, endpoint=False)
    x1 = np.concatenate([np.cos(t_out), factor * np.cos(t_in)])
    x2 = np.concatenate([np.sin(t_out), factor * np.sin(t_in)])
    return _shuffled(x1, x2, np.repeat([-1.0, 1.0], [outer, inner]), seed, noise, "circles")


def _shuffled(x1, x2, y, seed: int, noise: float, name: str) -> Data:
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(y))
    jitter = rng.normal(scale=noise, size=(2, len(y)))
    return Data(x1[order] + jitter[0], x2[order] + jitter[1], y[order], name)


def read_csv(path: str, columns: list[str] | None = None) -> Data:
    """Two input columns and a label column (labels -1/1 or 0/1, 0 read as -1); `-` is stdin.

    An optional header row may name the columns anything. Without `columns` the file has three
    columns: the two inputs, then the label. `columns` picks the two inputs and the label, by
    header name or by position (1, 2, ...), from a file with any number of columns.
    """
    where = "standard input" if path == "-" else path
    text = io.StringIO(read_source(None, path, kind="CSV text"), newline=None)  # \r, \r\n or \n ends a line
    reader = csv.reader(text, strict=True)
    points, labels = [], []
    first_of = {}  # label convention ("-1" or "0") -> the line that first used it
    layout = None  # (cells per row, what the rows hold, the picked columns' indexes and names)
    try:
        for row in reader:
            cells = [cell.strip() for cell in row]
            if not any(cells):
                continue
            line = f"{where}, line {reader.line_num}"
            if layout is None:
                header = not _any_number(cells)
                layout = _layout(cells if header else None, len(cells), columns, where, line)
                if header:
                    continue
            width, held, picks = layout
            if len(cells) != width:
                raise InputError(f"{line}: expected {width} values{held}, got {len(cells)}")
            (i1, name1), (i2, name2), (il, _) = picks
            points.append([_coordinate(cells[i1], name1, line), _coordinate(cells[i2], name2, line)])
            labels.append(_label(cells[il], line, first_of, reader.line_num))
    except csv.Error as exc:
        raise InputError(f"{where}, line {reader.line_num}: not valid CSV: {exc}") from None
    if not points:
        raise InputError(
            f"{where}: no data rows" + (" after the header" if layout else " (expected columns x1, x2, label)")
        )
    if len(set(labels)) < 2:
        raise InputError(f"{where}: every row has label {_shown(labels[0], first_of)}; training needs both classes")
    x = np.array(points)
    return Data(x[:, 0].copy(), x[:, 1].copy(), np.array(labels), Path(path).name if path != "-" else "stdin")


def _layout(names: list[str] | None, width: int, columns: list[str] | None, where: str, line: str) -> tuple:
    """(cells per row, what the rows hold as shown in messages, [(index, name)] of the inputs and the label)."""
    if columns is None:
        if width != 3:
            what = (
                f"the header names {width} columns ({', '.join(names)})" if names else f"expected 3 values, got {width}"
            )
            pick = "; pick the two inputs and the label with --columns" if width > 3 else " (x1, x2, label)"
            raise InputError(f"{line}: {what}{pick}")
        names = names or ["x1", "x2", "label"]
        return 3, f" ({', '.join(names)})", list(enumerate(names))
    picks = [_column(c, names, width, where) for c in columns]
    if len({i for i, _ in picks}) < len(picks):
        raise InputError(f"--columns {','.join(columns)}: the two inputs and the label must be three different columns")
    return width, f" ({', '.join(names)})" if names else "", picks


def _column(wanted: str, names: list[str] | None, width: int, where: str) -> tuple[int, str]:
    """(index, name) of a column given by header name or by position from 1."""
    if wanted.isdigit():
        if not 1 <= int(wanted) <= width:
            raise InputError(f"--columns: there is no column {wanted} in {where}, which has {width} columns")
        k = int(wanted) - 1
        return k, names[k] if names else f"column {wanted}"
    if names is None:
        raise InputError(
            f"--columns: {where} has no header row to find {wanted} in; give columns by position (1,2,3) instead"
        )
    matches = [k for k, name in enumerate(names) if name == wanted] or [
        k for k, name in enumerate(names) if name.lower() == wanted.lower()
    ]
    if len(matches) != 1:
        hint = "" if matches else did_you_mean(wanted, names)
        problem = "names two columns" if matches else "is not a column"
        raise InputError(f"--columns: {wanted} {problem} of {where} (its header: {', '.join(names)}){hint}")
    return matches[0], names[matches[0]]


def _any_number(cells: list[str]) -> bool:
    return any(_float(c) is not None for c in cells)


def _float(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _coordinate(text: str, column: str, line: str) -> float:
    value = _float(text)
    if value is None:
        raise InputError(f"{line}: {column} is not a number: {text!r}")
    if not math.isfinite(value):
        raise InputError(f"{line}: {column} is not a finite number: {text!r}")
    return value


def _label(text: str, line: str, first_of: dict, number: int) -> float:
    value = _float(text)
    if value not in (-1.0, 0.0, 1.0):
        raise InputError(f"{line}: the label must be -1 or 1 (or 0 or 1), got {text!r}")
    if value != 1.0:
        convention, other = ("0", "-1") if value == 0.0 else ("-1", "0")
        if other in first_of:
            raise InputError(f"{line}: label {text} mixes 0/1 and -1/1 labels (line {first_of[other]} has {other})")
        first_of.setdefault(convention, number)
    return 1.0 if value == 1.0 else -1.0


def _shown(label: float, first_of: dict) -> str:
    return "1" if label == 1.0 else "0" if "0" in first_of else "-1"


def load_data(spec: str, samples: int | None, seed: int, columns: list[str] | None = None) -> Data:
    """`moons` or `circles` with `samples` points (100 by default), or a CSV file (`-` for stdin)
    with `columns` picked by `read_csv`."""
    if spec in DATASETS:
        if columns is not None:
            raise InputError("--columns is for a CSV file; moons and circles have their own")
        return (moons if spec == "moons" else circles)(100 if samples is None else samples, seed)
    if samples is not None:
        raise InputError("--samples is for moons and circles; a CSV file trains on all its rows")
    if not spec.strip():
        raise InputError("--data needs moons, circles or the name of a CSV file (- for standard input)")
    if spec != "-" and not Path(spec).exists():
        hint = did_you_mean(spec, DATASETS)
        raise InputError(f"--data {spec}: expected moons, circles or a CSV file, and there is no such file{hint}")
    return read_csv(spec, columns)


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
