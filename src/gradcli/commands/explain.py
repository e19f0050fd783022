"""`gradcli explain`: the forward values, then the chain rule written out node by node."""

from __future__ import annotations

import click

from ..errors import InputError
from ..program import output_node
from . import _toolkit as kit


@kit.program_command("explain")
@kit.program_options
@kit.of_option()
@click.option("--wrt", metavar="NAME", help="Only the paths from the output back to this node (any name shown).")
@click.option(
    "--limit", type=click.IntRange(0), default=200, show_default=True,
    help="Lines shown per pass; longer passes keep their first and last lines (0: no limit).",
)  # fmt: skip
@kit.format_option("text", "markdown", "json")
@kit.precision_option
@kit.strict_option
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

    run = kit.load_run(args, sets, file, of, strict)
    target = None if wrt is None else output_node(run.graph, wrt, "--wrt")
    if target is not None and not run.depends[target]:
        raise InputError(f"--wrt {wrt}: {wrt} is computed from numbers alone, so it has no gradient; name a variable")
    derivation = derive(run, target, precision)
    if fmt == "json":
        from ..views.records import explain_json, notes_record

        kit.echo_pieces(explain_json(derivation, limit, notes_record(run) if run.notes else None))
    elif fmt == "markdown":
        from ..views.explain import explain_markdown

        click.echo(explain_markdown(derivation, limit))
    else:
        from ..views.explain import explain_rich, explain_text

        console = kit.stdout_console()
        if console.is_terminal:
            console.print(explain_rich(derivation, limit))
        else:
            click.echo(explain_text(derivation, limit))
    kit.echo_note(run.undefined_note())
