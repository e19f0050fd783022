"""`gradcli graph`: the computation graph, annotated with data and grad, as SVG, PNG, PDF or DOT, or the
walk-through page (HTML) that steps through the forward and backward pass on it."""

from __future__ import annotations

import sys

import click

from ..errors import InputError, bind_flags, listing
from ..program import Run
from . import _toolkit as kit


@kit.program_command("graph")
@kit.program_options
@click.option(
    "-o",
    "--out",
    metavar="FILE",
    help="Write the picture to FILE (.svg .png .pdf .dot), or the page (.html); default stdout.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["svg", "png", "pdf", "dot", "html"]),
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
    Every format works without Graphviz (PDF with the pdf extra); its dot program is used if installed.

    HTML is a page to open in a browser, offline: the picture filled in step by step, first the
    forward pass, then the backward pass with explain's line for each gradient (arrow keys or the
    buttons step; End jumps to the last step), and an input per variable that re-runs both passes.

    \b
    Examples:
      gradcli graph "L=(a*b+c)*f" --a 2 --b -3 --c 10 --f -2 --out seed.svg
      gradcli graph "o=tanh(x1*w1 + x2*w2 + b)" --x1 2 --x2 0 --w1 -3 --w2 1 --b 6.8814 --out neuron.png
      gradcli graph "e=a*b; d=e+c; L=d*f" --rankdir TB > seed.dot
      gradcli graph -f model.grad --format svg > model.svg
      gradcli graph "e=a*b; d=e+c; L=d*f" --a 2 --b -3 --c 10 --f -2 --out walk.html
      gradcli graph "L=(a*b+c)*f" --a 2 --b -3 --c 10 --f -2 --backward --out backward.png
    """
    from ..render import render, save
    from ..views.dot import backward_digraph, digraph, run_digraph

    program = kit.program_input(args, sets, file, of)
    to_stdout = out in (None, "-")
    fmt = (fmt or "dot") if to_stdout else _format(out, fmt)
    graph, bindings = program.graph, program.bindings(require=fmt == "html")
    output = program.output()
    if fmt == "html" and backward:
        raise InputError("--backward draws a picture; the page (.html) steps through the backward pass itself")
    if fmt == "html":
        return _page(graph, bindings, output, file, None if to_stdout else out, rankdir, precision, strict)
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


PAGE_SUFFIXES = (".html", ".htm")


def _format(out: str, fmt: str | None) -> str:
    """The format of --out: `fmt`, else from the extension (.html and .htm are the page)."""
    from pathlib import Path

    from ..render import FORMATS, format_of

    suffix = Path(out).suffix.lower()
    if fmt is None and suffix in PAGE_SUFFIXES:
        return "html"
    if fmt is None and suffix.lstrip(".") not in (*FORMATS, "gv"):
        raise InputError(f"cannot tell the format of {out}: name it .svg, .png, .pdf, .dot or .html, or give --format")
    return format_of(out, fmt)


def _page(graph, bindings, output, file, out, rankdir, precision, strict) -> None:
    """Write the walk-through page to `out` (standard output when None)."""
    from ..output import write_atomic
    from ..walkpage import page

    run = Run.of(graph, bindings, output, strict)
    source = file if file not in (None, "-") else None
    text = page(run, precision=precision, rankdir=rankdir, program=graph.source, source=source)
    if out is None:
        click.echo(text, nl=False)
    else:
        write_atomic(out, text.encode())
        click.echo(f"wrote {out}", err=True)
    kit.echo_note(run.undefined_note())
