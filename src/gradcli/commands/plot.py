"""`gradcli plot`: the output and its derivative over a range, or its contours and gradient over two."""

from __future__ import annotations

import click

from ..errors import InputError, UnboundVariable
from ..program import bind
from ..sampling import MAX_POINTS, MAX_SIDE, is_range, parse_range
from . import _toolkit as kit

PICTURES = ("png", "svg", "pdf")
NAME_IT = "name it .png, .svg or .pdf for a picture, or .csv for the samples"


@kit.program_command("plot")
@kit.program_options
@click.option(
    "--points", type=click.IntRange(2, MAX_POINTS), metavar="N",
    help="Samples along each range.  [default: 400 for a curve, 200 per side for contours]",
)  # fmt: skip
@click.option("--out", metavar="FILE", help="Write a picture (.png .svg .pdf) or the samples (.csv).")
@click.option("--wrt", metavar="NAME", help="With one range: plot d(output)/d(NAME) instead of the ranged variable's.")
@click.option(
    "--order", type=click.IntRange(1, 2), default=1, show_default=True, metavar="N",
    help="With one range: 2 adds the second derivative d2(output)/d(NAME)2.",
)  # fmt: skip
@kit.of_option("Plot this named node instead of the output.")
def command(args, file, sets, points, out, wrt, order, of):
    """Plot the output and its derivative over a range of one variable, or contours over two.

    Give a range as --NAME LO:HI. With one range: the output and its derivative against it,
    with gaps where they are undefined and kinks marked. With two: contours of the output and
    its negative gradient as arrows, the picture of gradient descent. --order 2 adds the second
    derivative below the first (one range). Other variables are fixed
    by their bindings. Without --out, the samples go to standard output as CSV (full precision,
    an empty cell where a value is undefined).

    \b
    Examples:
      gradcli plot "y = tanh(x)" --x -4:4 --out tanh.png
      gradcli plot "y = relu(x) + log(x + 2)" --x -4:4 --out kinks.svg
      gradcli plot "y = tanh(x)" --x -4:4 --order 2 --out tanh2.png
      gradcli plot "L = (x - 1)**2 + 3*(y + 0.5)**2" --x -2:3 --y -2:2 --out bowl.png
      gradcli plot "o = tanh(x*w + b)" --w -3:3 --x 2 --b 0.5 --points 50 > samples.csv
    """
    program = kit.program_input(args, sets, file, of)
    given = program.given
    fmt = "csv" if out is None else kit.output_format(out, (*PICTURES, "csv"), f"--out {out}: {NAME_IT}")
    graph = program.graph
    ranges = {name: parse_range(name, text) for name, text in given.items() if is_range(text)}
    fixed = bind(graph, {n: t for n, t in given.items() if n not in ranges} | {n: "0" for n in ranges}, require=False)
    if not ranges:
        raise InputError("nothing to plot against: give a range such as --x -4:4 (two ranges draw contours)")
    if len(ranges) > 2:
        raise InputError(f"at most two ranges (a curve or contours); got {', '.join('--' + n for n in ranges)}")
    if len(ranges) == 2 and wrt is not None:
        raise InputError("--wrt is for one range; with two the arrows show the gradient in both ranged variables")
    if len(ranges) == 2 and order > 1:
        raise InputError("--order 2 is for one range; with two the contours show the output and its gradient")
    if len(ranges) == 2 and points is not None and points > MAX_SIDE:
        raise InputError(f"--points {points}: with two ranges at most {MAX_SIDE:,} per side")
    if wrt is not None and wrt not in graph.variables:
        raise InputError(f"--wrt {wrt}: not a variable of the program (its variables: {', '.join(graph.variables)})")
    missing = [n for n in graph.variables if n not in fixed]
    if missing:
        raise UnboundVariable(missing)
    for name in ranges:
        del fixed[name]

    from ..batch import Batch
    from ..sampling import curve, surface

    batch = Batch(graph, program.output(), fixed)
    if len(ranges) == 1:
        ((name, (lo, hi)),) = ranges.items()
        samples = curve(batch, name, lo, hi, points or 400, wrt, order)
        value = samples.series[0].values
    else:
        samples = surface(batch, ranges, points or 200)
        value = samples.value
    if fmt == "csv":
        from ..views.samples import csv_lines

        if out is None:
            kit.echo_pieces(csv_lines(samples))
        else:
            _write(out, "".join(csv_lines(samples)).encode())
    else:
        from ..views.plot import curve_figure, picture, surface_figure

        figure = curve_figure(samples) if len(ranges) == 1 else surface_figure(samples)
        _write(out, picture(figure, fmt))
    if not value.size or not (value == value).any():
        click.echo(f"note: {batch.label} is undefined at every sample", err=True)


def _write(out: str, data: bytes) -> None:
    from ..output import write_atomic

    write_atomic(out, data)
    click.echo(f"wrote {out}", err=True)
