"""`gradcli hessian`: the value, the gradient and the matrix of second derivatives at a point."""

from __future__ import annotations

import click

from . import _toolkit as kit


@kit.program_command("hessian")
@kit.program_options
@click.option("--wrt", multiple=True, metavar="A,B", help="Rows and columns for these variables only.")
@kit.of_option()
@kit.format_option("table", "json")
@kit.precision_option
@kit.strict_option
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

    program = kit.program_input(args, sets, file, of)
    graph = program.graph
    result = hessian(graph, program.bindings(), program.output(), moving(graph, wrt, ()), strict)
    if fmt == "json":
        from ..views.records import hessian_record

        kit.echo_json(hessian_record(result))
    else:
        from ..views.hessian import hessian_table

        kit.stdout_console().print(hessian_table(result, precision))
    note = result.run.undefined_note()
    if not note and not result.finite:
        note = "a second derivative is infinite or undefined here"
    kit.echo_note(note)
