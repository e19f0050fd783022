"""`gradcli hessian`: the value, the gradient and the matrix of second derivatives at a point."""

from __future__ import annotations

import click

from ..cli import (
    echo_json,
    echo_note,
    format_option,
    precision_option,
    program_args,
    program_command,
    program_options,
    stdout_console,
    strict_option,
)
from ..program import load, output_node


@program_command("hessian")
@program_options
@click.option("--wrt", multiple=True, metavar="A,B", help="Rows and columns for these variables only.")
@click.option("--of", "of", metavar="NAME", help="Differentiate this node (any name shown) instead of the output.")
@format_option("table", "json")
@precision_option
@strict_option
def command(args, file, sets, wrt, of, fmt, precision, strict):
    """Evaluate the Hessian: every second derivative d2L/dadb at the bound point.

    The table has one row per variable: its value, the gradient dL/da (as eval computes it),
    and its row of the Hessian. At a kink the second derivatives follow PyTorch (relu, abs,
    max, min: 0). One that is infinite or undefined is shown as such, with a note
    (--strict: an error).

    \b
    Examples:
      gradcli hessian "L = (x - 3)**2 + x*y**2" --x 1 --y 2
      gradcli hessian "o=tanh(x1*w1 + x2*w2 + b)" --x1 2 --x2 0 --w1 -3 --w2 1 --b 6.8814 --wrt w1,w2,b
      gradcli hessian "y = x**3*z" --x 2 --z 1 --format json
    """
    from ..descent import moving
    from ..hessian import hessian

    expr, given = program_args(args, sets)
    graph, bindings = load(expr, file, given)
    result = hessian(graph, bindings, output_node(graph, of), moving(graph, wrt, ()), strict)
    if fmt == "json":
        from ..views.hessian import hessian_record

        echo_json(hessian_record(result))
    else:
        from ..views.hessian import hessian_table

        stdout_console().print(hessian_table(result, precision))
    from ..views.fmt import undefined_note

    note = undefined_note(result.run)
    if not note and not result.finite:
        note = "a second derivative is infinite or undefined here"
    echo_note(note)
