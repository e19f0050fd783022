"""`gradcli train`: micrograd's demo, an MLP classifier trained by gradient descent, in one command."""

from __future__ import annotations

import click

from ..errors import InputError, Interrupted
from . import _toolkit as kit


@click.command("train", context_settings=kit.SETTINGS)
@click.option(
    "--data",
    "spec",
    default="moons",
    show_default=True,
    metavar="moons|circles|FILE.csv",
    help="A generated data set, or a CSV file: two inputs and a label (-1/1 or 0/1), in that order; '-' reads stdin.",
)
@click.option(
    "--columns",
    metavar="X1,X2,LABEL",
    help="The CSV's input and label columns, by header name or by position (1,2,3).",
)
@click.option("--samples", type=click.IntRange(min=2), help="Points to generate for moons or circles.  [default: 100]")
@click.option("--hidden", default="16,16", show_default=True, metavar="N,N", help="Hidden layer sizes ('' for none).")
@click.option("--steps", type=click.IntRange(min=1), default=100, show_default=True, help="Gradient-descent steps.")
@click.option("--lr", "rate", default="1.0", show_default=True, metavar="LR", help="Learning rate, decaying to LR/10.")
@click.option("--seed", type=click.IntRange(min=0), default=1337, show_default=True, help="Seeds the data and weights.")
@click.option("--plot", metavar="FILE.png", help="Draw the decision boundary and training curves (.png, .svg, .pdf).")
@kit.format_option("table", "json")
@kit.precision_option
def command(spec, columns, samples, hidden, steps, rate, seed, plot, fmt, precision):
    """Train an MLP on 2-D points with micrograd's demo recipe.

    Max-margin (SVM) loss with L2 regularisation, full-batch gradient descent with the
    learning rate decaying linearly to a tenth. The network's graph is built once and run
    over all the samples at a time. Ctrl-C stops after the last whole step and reports it.

    \b
    Examples:
      gradcli train
      gradcli train --data moons --plot boundary.png
      gradcli train --data circles --samples 200 --hidden 8,8 --steps 200
      gradcli train --data points.csv --format json
      gradcli train --data points.csv --columns x,y,label
    """
    from ..datasets import load_data
    from ..fmt import number
    from ..training import Training

    sizes = hidden_sizes(hidden)
    lr = kit.learning_rate(rate)
    plot_format = kit.plot_format(plot) if plot else None
    data = load_data(spec, samples, seed, column_names(columns) if columns is not None else None)
    training = Training(data, sizes, lr, seed)
    try:
        with kit.progress("training", steps, show=fmt == "table", loss="", accuracy="") as update:

            def show(k: int, loss: float, accuracy: float) -> None:
                update(k, loss=number(loss), accuracy=f"{accuracy:.0%}")

            training.run(steps, show if update else None)
    except KeyboardInterrupt:  # while the progress bar was set up or taken down: the steps done stand
        training.interrupted = True
    training.finish()
    network, history = training.network, training.history
    if plot:
        from ..output import write_atomic
        from ..views.boundary import png

        write_atomic(plot, png(data, network, history, plot_format))
    if fmt == "json":
        from ..views.records import train_record

        kit.echo_json(train_record(data, network, history, lr, seed))
    else:
        from ..views.train import train_report

        kit.stdout_console().print(train_report(data, network, history, lr, precision))
    if plot:
        click.echo(f"wrote {plot}", err=True)
    if training.interrupted:
        done = training.steps
        where = f"after step {done} of {steps}" if done else f"before step 1 of {steps} finished"
        raise Interrupted(f"interrupted {where}; the report shows {'that state' if done else 'the untrained network'}")


def column_names(text: str) -> list[str]:
    """`x,y,label` -> ["x", "y", "label"]: the two inputs and the label."""
    names = [name.strip() for name in text.split(",")]
    if len(names) != 3 or not all(names):
        raise InputError(f"--columns {text}: expected the two input columns and the label column, such as x1,x2,label")
    return names


def hidden_sizes(text: str) -> list[int]:
    """`16,16` -> [16, 16]; an empty text means no hidden layer."""
    parts = [p.strip() for p in text.split(",")] if text.strip() else []
    if not all(p.isdigit() and int(p) > 0 for p in parts):
        raise InputError(f"--hidden {text}: expected layer sizes such as 16,16 (positive whole numbers)")
    return [int(p) for p in parts]
