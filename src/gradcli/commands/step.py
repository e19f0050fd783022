"""`gradcli step`: gradient descent made visible, one update or many."""

from __future__ import annotations

import os

import click

from ..descent import Descent, moving
from ..errors import EvalError, InputError, Interrupted
from ..interrupts import interruptible, shielded, take_pending
from . import _toolkit as kit


@kit.program_command("step")
@kit.program_options
@click.option(
    "--lr",
    "rate",
    metavar="RATE",
    help="Learning rate (positive): v -= RATE * dL/dv (gd; required), v -= RATE * H^-1 g (newton; default 1).",
)
@click.option(
    "--method", type=click.Choice(["gd", "newton"]), default="gd", show_default=True,
    help="gd: gradient descent; newton: Newton's method on the moving variables' Hessian.",
)  # fmt: skip
@click.option("--steps", type=click.IntRange(min=1), default=1, show_default=True, help="How many updates.")
@click.option("--wrt", multiple=True, metavar="A,B", help="Move only these variables.")
@click.option("--freeze", multiple=True, metavar="A,B", help="Move every variable but these.")
@kit.of_option("Descend on this node (any name shown) instead of the output.")
@click.option("--graph", "picture", metavar="FILE", help="Draw the graph after the last update (.svg .png .pdf .dot).")
@click.option("--plot", metavar="FILE", help="Draw the descent's path (.png .svg .pdf).")
@kit.format_option("table", "json")
@kit.precision_option
@kit.strict_option
def command(args, file, sets, rate, method, steps, wrt, freeze, of, picture, plot, fmt, precision, strict):
    """Take gradient-descent steps: v -= lr * dL/dv (or Newton's: v -= H^-1 g).

    Each step moves every variable (or only --wrt, or all but --freeze) by -lr times its
    gradient, then evaluates the program again. --steps N repeats it on the same compiled
    graph and summarises the output along the way. A step that fails or makes the output or
    a variable non-finite stops the descent; the report shows the last finite state (exit 1).
    A variable whose gradient is infinite or undefined at the start is not moved (a note says
    which; --strict: an error).

    --method newton moves all the moving variables at once by the Hessian's inverse times the
    gradient (scaled by --lr, 1 by default): a quadratic's minimum in one step. Where the
    Hessian is singular or not positive definite there is no Newton step (exit 1).

    \b
    Examples:
      gradcli step "L=(a*b+c)*f" --a 2 --b -3 --c 10 --f -2 --lr 0.001
      gradcli step "(x-3)**2 + (y+1)**2" --x 0 --y 0 --lr 0.1 --steps 100
      gradcli step "o=tanh(x1*w1 + x2*w2 + b)" --x1 2 --x2 0 --w1 -3 --w2 1 --b 6.88 --lr 0.1 --freeze x1,x2
      gradcli step "L=(a*b+c)*f" --a 2 --b -3 --c 10 --f -2 --lr 0.01 --steps 10 --format json
      gradcli step "L=(a*b+c)*f" --a 2 --b -3 --c 10 --f -2 --lr 0.001 --graph after.svg
      gradcli step "(x-3)**2 + 5*(y+1)**2" --x 0 --y 0 --lr 0.08 --steps 30 --plot path.png
      gradcli step "(x-3)**2 + (y+1)**2" --x 0 --y 0 --method newton
    """
    program = kit.program_input(args, sets, file, of)
    if rate is None and method == "gd":
        raise InputError("missing option '--lr' (gradient descent's learning rate; --method newton needs none)")
    lr = 1.0 if rate is None else kit.learning_rate(rate, "; to climb instead, negate the program's output")
    if picture is not None:
        from ..render import FORMATS

        wrong = f"--graph {picture}: name the picture .svg, .png, .pdf or .dot"
        picture_format = kit.output_format(picture, FORMATS, wrong)
    if plot is not None:
        plot_format = kit.plot_format(plot)
    graph, bindings = program.graph, program.bindings()
    if picture is not None:
        from ..views.dot import check_graph

        check_graph(graph, picture_format)  # refuse a too-large picture before the descent
    output = program.output()
    chosen = moving(graph, wrt, freeze)
    out = kit.stdout_console() if fmt == "table" else None  # JSON needs no Rich (start-up time)
    # From here a signal (Ctrl-C, SIGTERM, SIGHUP) waits, except in the long parts, which handle it:
    # whenever it comes, the report shows the last whole step, or the error says that no step finished.
    options = {
        "every": fmt == "json" or plot is not None,
        "strict": strict,
        "trail": plot is not None,
        "method": method,
    }
    with shielded():
        descent = _descend(graph, bindings, output, lr, chosen, steps, out is not None and out.is_terminal, options)
        pictures = []
        if picture is not None:
            pictures.append((picture, _graph_writer(descent, picture, precision)))
        if plot is not None:
            pictures.append((plot, _plot_writer(descent, plot, plot_format)))
        unwritten = [path for path, write in pictures if not _draw(descent, path, write)]
        if fmt == "json":
            from ..views.records import step_json

            kit.echo_pieces(step_json(descent))
        else:
            from ..views.step import step_report

            out.print(step_report(descent, precision))
        if descent.held:
            kit.echo_note(descent.why_held())
        if plot is not None and plot not in unwritten:
            click.echo(f"wrote {plot}", err=True)
        _stopped(descent, steps, unwritten)


def _descend(graph, bindings, output: int, lr: float, chosen: list[int], steps: int, bar: bool, options) -> Descent:
    """Run the descent; a signal stops it at the last whole step."""
    try:
        with interruptible():
            descent = Descent(graph, bindings, output, lr, chosen, **options)
    except KeyboardInterrupt:
        raise Interrupted("interrupted: no step finished; nothing was written") from None
    try:
        with interruptible():
            _run(descent, steps, bar and steps > 1)
    except KeyboardInterrupt:  # outside the steps themselves: setting up the bar, restoring, diagnosing
        descent.stop()
    if descent.interrupted and descent.steps == 0:
        raise Interrupted("interrupted: no step finished; nothing was written")
    return descent


def _run(descent: Descent, steps: int, bar: bool) -> None:
    """Run the steps, with a progress bar on stderr when `bar` and stderr is a (capable) terminal."""
    from ..fmt import number

    first = number(descent.history[-1])
    with kit.progress("descent", steps, show=bar, label=descent.label, value=first) as update:

        def show(d: Descent) -> None:
            update(d.steps, value=number(d.history[-1]))

        descent.run(steps, show if update else None)


def _graph_writer(descent: Descent, path: str | None, precision: int):
    """Writes the graph after the last step (--graph)."""

    def write() -> None:
        from ..views.dot import save_graph

        save_graph(descent.now(), path, precision=precision)

    return write


def _plot_writer(descent: Descent, path: str | None, fmt: str):
    """Writes the descent's path (--plot)."""

    def write() -> None:
        from ..output import write_atomic
        from ..sampling import around_descent
        from ..views.plot import descent_figure, picture

        write_atomic(path, picture(descent_figure(descent, around_descent(descent)), fmt))

    return write


def _draw(descent: Descent, path: str, write) -> bool:
    """Write a picture of the descent; False when a signal stopped it before the file was replaced."""
    before = _stamp(path)
    try:
        with interruptible():
            write()
    except KeyboardInterrupt:
        descent.interrupted = True
        return _stamp(path) != before  # the signal may have come just after the new file took the old one's place
    return True


def _stamp(path: str) -> tuple | None:
    """What tells one version of a file from the next: a replaced file is a new inode."""
    try:
        found = os.stat(path)
    except OSError:
        return None
    return found.st_ino, found.st_mtime_ns


def _stopped(descent: Descent, steps: int, unwritten: list[str]) -> None:
    """Say why the descent stopped early, after the report of the state it stopped at."""
    if take_pending():  # a signal came while the report was being printed
        descent.interrupted = True
    if descent.interrupted:
        skipped = (
            f"; {' and '.join(unwritten)} {'were' if len(unwritten) > 1 else 'was'} not written" if unwritten else ""
        )
        raise Interrupted(f"interrupted after step {descent.steps} of {steps}; the report shows that state{skipped}")
    if descent.problem is not None:
        last = f"the report shows step {descent.steps}, the last finite state"
        raise EvalError(f"step {descent.steps + 1} of {steps} failed: {descent.problem}; {last}")
