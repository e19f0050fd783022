"""The `train` report: what was trained, loss and accuracy along the way, the final accuracy."""

from __future__ import annotations

from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

from ..datasets import Data
from ..descent import checkpoints
from ..fmt import number
from ..training import History, Network


def describe(data: Data, network: Network, steps: int, lr: float) -> str:
    """`MLP 2-16-16-1 (337 parameters) on moons (100 samples), 100 steps, lr 1 -> 0.1`."""
    sizes = "-".join(map(str, network.sizes))
    return (
        f"MLP {sizes} ({len(network.params)} parameters) on {data.name} ({len(data)} samples), "
        f"{steps} steps, lr {lr:g} -> {lr / 10:g}"
    )


def train_report(data: Data, network: Network, history: History, lr: float, precision: int = 4) -> Group:
    """The description, loss and accuracy at steps 0, 1, 2, 5, 10, ... and the last, then the verdict."""
    steps = len(history.loss)
    losses = history.loss + [history.final_loss]
    accuracies = history.accuracy + [history.final_accuracy]
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for column in ("step", "loss", "accuracy"):
        table.add_column(column, justify="right")
    for step in checkpoints(steps):
        table.add_row(str(step), number(losses[step], precision), f"{accuracies[step]:.1%}")
    right = round(history.final_accuracy * len(data))
    verdict = Text(f"final accuracy: {history.final_accuracy:.1%} ({right} of {len(data)} samples)")
    return Group(describe(data, network, steps, lr), "", table, "", verdict)
