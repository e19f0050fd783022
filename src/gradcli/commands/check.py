"""`gradcli check`: every variable's gradient against a central finite difference (or PyTorch)."""

from __future__ import annotations

import math

import click

from ..gradcheck import ATOL, EPS, RTOL
from . import _toolkit as kit


def _tolerance(positive: bool):
    """A click callback: a finite number >= 0 (> 0 when `positive`)."""

    def callback(ctx, param, value):
        if not math.isfinite(value) or value < 0 or (positive and value == 0):
            raise click.BadParameter(f"{value} is not a finite number {'> 0' if positive else '>= 0'}")
        return value

    return callback


@kit.program_command("check")
@kit.program_options
@kit.of_option()
@click.option(
    "--against", type=click.Choice(["differences", "torch"]), default="differences", show_default=True,
    help="Compare with central finite differences, or with PyTorch's autograd in float64.",
)  # fmt: skip
@click.option("--rtol", default=RTOL, show_default=True, callback=_tolerance(False), help="Relative tolerance.")
@click.option("--atol", default=ATOL, show_default=True, callback=_tolerance(False), help="Absolute tolerance.")
@click.option(
    "--eps", default=EPS, show_default=True, callback=_tolerance(True),
    help="Finite-difference step, scaled: h = eps * max(1, |x|).",
)  # fmt: skip
@click.option(
    "--each", is_flag=True,
    help="One row per variable even for a large program (else it is checked along random directions).",
)  # fmt: skip
@kit.format_option("table", "json")
@kit.precision_option
def command(args, file, sets, of, against, rtol, atol, eps, each, fmt, precision):
    """Check every variable's gradient against a central finite difference.

    A gradient passes when |analytic - numeric| <= atol + rtol * max(|analytic|, |numeric|).
    At or within the step of a kink (relu or abs at 0, a max/min tie) the derivative is a
    convention: it is status kink when it lies between the one-sided differences, else FAIL.
    When one variable at a time would take more than 10 million node evaluations, the
    program is checked along 3 random directions (--each: one row per variable anyway).
    Exits 1 when any fails.

    \b
    Examples:
      gradcli check "L=(a*b+c)*f" --a 2 --b -3 --c 10 --f -2
      gradcli check "o=tanh(x1*w1 + x2*w2 + b)" --x1 2 --x2 0 --w1 -3 --w2 1 --b 6.8814 --format json
      gradcli check "relu(x) + abs(y)" --x 0 --y 1
      gradcli check "y = sigmoid(x)**3" --x 0.5 --against torch
    """  # fmt: skip
    from ..gradcheck import DIRECTIONS, by_directions, check

    run = kit.load_run(args, sets, file, of)
    if against == "torch":
        from ..torchcheck import torch_gradients

        rows = check(run, rtol, atol, reference=torch_gradients(run))
        method = f"PyTorch autograd in float64, atol {atol:g}, rtol {rtol:g}"
    else:
        rows = check(run, rtol, atol, eps, each=each)
        method = f"central difference with step h = {eps:g} * max(1, |x|), atol {atol:g}, rtol {rtol:g}"
        if by_directions(run, each):
            method = (
                f"{len(run.graph.variables):,} variables checked together along {DIRECTIONS} random unit directions u"
                f" (PyTorch gradcheck's fast mode; --each checks one at a time): {method}, each x moved by h * u"
            )
    output = run.graph.labels()[run.output]
    if fmt == "json":
        from ..views.records import check_record

        kit.echo_json(check_record(rows, against, output, method))
    else:
        from ..views.check import check_view

        reference = "torch" if against == "torch" else "numeric"
        console = kit.stdout_console()  # piped: one line per note; on a terminal, wrapped at words
        console.print(check_view(rows, reference, method, precision), soft_wrap=not console.is_terminal)
    if any(row.status == "FAIL" for row in rows):
        raise SystemExit(1)
