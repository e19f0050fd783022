"""`gradcli diff`: the derivative as a gradcli program (or LaTeX, or JSON), with its values when bound."""

from __future__ import annotations

import math

import click

from ..formulas import MAX_ORDER, differentiate
from ..program import Run
from . import _toolkit as kit


@kit.program_command("diff")
@kit.program_options
@click.option("--wrt", multiple=True, metavar="A,B", help="Differentiate in these variables only (default: all).")
@click.option(
    "--order", type=click.IntRange(1, MAX_ORDER), default=1, show_default=True, metavar="N",
    help=f"Every N-th partial derivative (1 to {MAX_ORDER}).",
)  # fmt: skip
@kit.of_option()
@kit.format_option("text", "latex", "json")
@kit.strict_option
def command(args, file, sets, wrt, order, of, fmt, strict):
    """Write the derivative of a program as a program: dy_dx = 2*x*sin(x) + ...

    The output is gradcli input: pipe it to eval for the derivative's value, or to diff for the
    next order. Parts used more than once (or long) get names of their own (t1 = ...). The
    formulas are simplified by a few exact rules and like terms (see the README). With every
    variable bound, each derivative's value is shown beside it, as eval computes it; a gradient
    that is infinite or undefined there gets eval's note (--strict: an error).

    \b
    Examples:
      gradcli diff "y = x**2*sin(x)"
      gradcli diff "o=tanh(x1*w1 + x2*w2 + b)" --wrt w1,w2,b
      gradcli diff "L = (x - 3)**2 + x*y**2" --order 2
      gradcli diff "y = x**2*sin(x)" --x 2
      gradcli diff "y = x**2*sin(x)" | gradcli diff -
      gradcli diff "y = sigmoid(w*x + b)" --format latex
    """
    from ..descent import moving

    program = kit.program_input(args, sets, file, of)
    graph, bindings, given = program.graph, program.bindings(require=False), program.given
    output = program.output()
    chosen = [name for name, i in graph.variables.items() if i in set(moving(graph, wrt, ()))] if wrt else None
    derivative = differentiate(graph, output, chosen, order)
    values = run = None
    if given or len(bindings) == len(graph.variables):
        bindings = program.bindings()
        run = Run.of(graph, bindings, output, strict)  # the program itself must have a value here
        values = derivative.values(bindings)
    if fmt == "json":
        from ..views.records import diff_record

        kit.echo_json(diff_record(derivative, values))
    else:
        from ..views.diff import diff_latex, diff_text

        click.echo((diff_latex if fmt == "latex" else diff_text)(derivative, values), nl=False)
    if run is not None:
        missing = [name for name, value in values.items() if not math.isfinite(value)]
        verb = "has" if len(missing) == 1 else "have"
        kit.echo_note(
            run.undefined_note() or (missing and f"{', '.join(missing)} {verb} no value here: infinite or undefined")
        )
