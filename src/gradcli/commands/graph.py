"""`gradcli graph`: the computation graph, annotated with data and grad, as SVG, PNG, PDF or DOT."""

from __future__ import annotations

import sys

import click

from ..errors import InputError, bind_flags, listing
from ..program import Run
from . import _toolkit as kit


@kit.program_command("graph")
@kit.program_options
@click.option("-o", "--out", metavar="FILE", help="Write the picture to FILE (.svg .png .pdf .dot); default stdout.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["svg", "png", "pdf", "dot"]),
    help="Output format.  [default: from the extension of --out; dot on stdout]",
)
@click.option(
    "--rankdir",
    type=click.Choice(["LR", "TB"], case_sensitive=False),
    metavar="[LR|TB]",
    default="LR",
    show_default=True,
    help="Left to right, or top to bottom.",
)
@click.option(
    "--backward",
    is_flag=True,
    help="Draw the backward pass beside the graph: a green box dL/dv for each value, computed from the boxes"
    " above it and the forward values it reads (dashed edges).",
)
@kit.of_option()
@kit.precision_option
@kit.strict_option
def command(args, file, sets, out, fmt, rankdir, backward, of, precision, strict):
    """Draw the computation graph: each value with its data and grad, each operation a circle.

    With every variable bound the picture shows data and grad; with none, the bare structure.
    A gradient that is infinite or undefined is drawn as inf or undefined, with a note.
    SVG and DOT need nothing more than gradcli; PNG and PDF use Graphviz's dot program.

    \b
    Examples:
      gradcli graph "L=(a*b+c)*f" --a 2 --b -3 --c 10 --f -2 --out seed.svg
      gradcli graph "o=tanh(x1*w1 + x2*w2 + b)" --x1 2 --x2 0 --w1 -3 --w2 1 --b 6.8814 --out neuron.png
      gradcli graph "e=a*b; d=e+c; L=d*f" --rankdir TB > seed.dot
      gradcli graph -f model.grad --format svg > model.svg
      gradcli graph "L=(a*b+c)*f" --a 2 --b -3 --c 10 --f -2 --backward --out backward.png
    """
    from ..render import format_of, render, save
    from ..views.dot import backward_digraph, digraph, run_digraph

    program = kit.program_input(args, sets, file, of)
    graph, bindings = program.graph, program.bindings(require=False)
    output = program.output()
    to_stdout = out in (None, "-")
    fmt = (fmt or "dot") if to_stdout else format_of(out, fmt)
    if to_stdout and fmt in ("png", "pdf") and sys.stdout.isatty():
        raise InputError(f"{fmt.upper()} is binary: give --out FILE, or redirect standard output")

    missing = [n for n in graph.variables if n not in bindings]
    run = None
    if missing:
        picture = digraph(graph, rankdir=rankdir, precision=precision, output=output)
        if bindings:
            flags = bind_flags(missing, click.get_current_context().command.option_names())
            note = f"note: unbound: {listing(missing)}; drawing the bare structure (bind {flags} for data and grad)"
            click.echo(note, err=True)
    else:
        run = Run.of(graph, bindings, output, strict)
        picture = run_digraph(run, rankdir=rankdir, precision=precision)
    size = len(graph)
    if backward:
        from ..adjoint import adjoint_program

        adjoint = adjoint_program(graph, output, None if run is None else run.values)
        values, grads = (None, None) if run is None else (run.values, [run.grad(i) for i in range(size)])
        picture = backward_digraph(graph, adjoint, values, grads, rankdir=rankdir, precision=precision)
        size += adjoint.size  # the adjoints and their parts are values of the picture too
    if to_stdout:
        sys.stdout.flush()
        sys.stdout.buffer.write(render(picture, fmt, size))
        sys.stdout.buffer.flush()
    else:
        save(picture, out, fmt, size)
        click.echo(f"wrote {out}", err=True)
    if run is not None:
        kit.echo_note(run.undefined_note())
