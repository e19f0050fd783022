"""`gradcli explain`: the forward values, then the chain rule written out node by node."""

from __future__ import annotations

import click

from ..cli import (
    echo_note,
    echo_pieces,
    format_option,
    precision_option,
    program_args,
    program_command,
    program_options,
    strict_option,
)
from ..program import Run, load, output_node


@program_command("explain")
@program_options
@click.option("--of", "of", metavar="NAME", help="Differentiate this node (any name shown) instead of the output.")
@click.option("--wrt", metavar="NAME", help="Only the paths from the output back to this node (any name shown).")
@click.option(
    "--limit", type=click.IntRange(0), default=200, show_default=True,
    help="Lines shown per pass; longer passes keep their first and last lines (0: no limit).",
)  # fmt: skip
@format_option("text", "markdown", "json")
@precision_option
@strict_option
def command(args, file, sets, of, wrt, limit, fmt, precision, strict):
    """Write out the backward pass as a person does it by hand.

    First the forward values (e = a*b = 2 * -3 = -6), then each gradient from the output back
    to the variables, as the chain rule with the local derivative from the op table and the
    numbers put in (dL/da = dL/de * de/da = -2 * b = -2 * -3 = 6). A node used in several
    places gets one line per use and their sum. On a terminal derivatives are written with ∂
    and coloured; piped, the text is plain ASCII with d. Each pass shows at most --limit
    lines (JSON: entries), the first and the last. A gradient that is infinite or undefined
    is written as inf or undefined, with a note (--strict: an error).

    \b
    Examples:
      gradcli explain "e=a*b; d=e+c; L=d*f" --a 2 --b -3 --c 10 --f -2
      gradcli explain "y = x*x + x" --x 3
      gradcli explain "o=tanh(x1*w1 + x2*w2 + b)" --x1 2 --x2 0 --w1 -3 --w2 1 --b 6.8814 --wrt w1
      gradcli explain -f model.grad --format markdown > derivation.md
    """
    from ..derivation import derive
    from ..errors import InputError

    expr, given = program_args(args, sets)
    graph, bindings = load(expr, file, given)
    run = Run.of(graph, bindings, output_node(graph, of), strict)
    target = None if wrt is None else output_node(graph, wrt, "--wrt")
    if target is not None and not run.depends[target]:
        raise InputError(f"--wrt {wrt}: {wrt} is computed from numbers alone, so it has no gradient; name a variable")
    derivation = derive(run, target, precision)
    from ..views import explain as view

    if fmt == "json":
        from ..views.records import explain_json, notes_record

        echo_pieces(explain_json(derivation, limit, notes_record(run) if run.notes else None))
    elif fmt == "markdown":
        click.echo(view.explain_markdown(derivation, limit))
    else:
        from ..cli import stdout_console

        console = stdout_console()
        if console.is_terminal:
            console.print(view.explain_rich(derivation, limit))
        else:
            click.echo(view.explain_text(derivation, limit))
    echo_note(run.undefined_note())
