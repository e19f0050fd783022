"""`draw_dot`: micrograd's picture of a Value's graph, drawn with or without Graphviz installed.

    >>> from gradcli import Value, draw_dot
    >>> x = Value(3.0, label="x")
    >>> y = x * x + 1
    >>> y.backward()
    >>> dot = draw_dot(y)                       # a notebook shows it as SVG
    >>> svg = dot.pipe(format="svg")            # the picture as bytes
    >>> path = dot.render("y", format="svg")    # writes y (the DOT source) and y.svg

The picture is the one `gradcli graph` draws, as a `graphviz.Digraph`. With Graphviz's `dot`
program installed, graphviz draws it as usual. Without it, gradcli's renderer does (in a
notebook's display, `pipe()` and `render()`): SVG from the WebAssembly Graphviz that gradcli
installs, PNG and PDF from that SVG (see `render`), DOT the source.
"""

from __future__ import annotations

import os
import shutil

import graphviz

from .output import write_atomic
from .render import render
from .value import Value, to_graph
from .views.dot import digraph

DIRECTIONS = ("LR", "TB")


def draw_dot(root: Value, format: str = "svg", rankdir: str = "LR", *, precision: int = 4) -> Drawing:
    """micrograd's `draw_dot(root, format='svg', rankdir='LR')`: the graph of `root`, every value
    with its data and grad. `format` is what `render()` writes and `pipe()` returns; `rankdir`
    lays the graph out left to right (`LR`) or top to bottom (`TB`)."""
    if not isinstance(root, Value):
        raise TypeError(f"draw_dot(root, format='svg', rankdir='LR'): root must be a Value, not {root!r}")
    if str(format).upper() in DIRECTIONS:
        raise ValueError(
            f"draw_dot(root, format='svg', rankdir='LR'): format {format!r} is a direction; give rankdir={format!r}"
        )
    if str(rankdir).upper() not in DIRECTIONS:
        raise ValueError(f"draw_dot: rankdir must be 'LR' (left to right) or 'TB' (top to bottom), not {rankdir!r}")
    graph, values, grads = to_graph(root)
    depends = [node.op != "const" for node in graph.nodes]  # every value has a grad, a number none
    picture = digraph(graph, values, grads, rankdir=str(rankdir).upper(), precision=precision, depends=depends)
    attrs = {"graph_attr": picture.graph_attr, "node_attr": picture.node_attr, "edge_attr": picture.edge_attr}
    drawing = Drawing(picture.name, body=picture.body, format=format, **attrs)  # graphviz checks the format
    drawing.values = len(graph)
    return drawing


class Drawing(graphviz.Digraph):
    """A `graphviz.Digraph` that gradcli's renderer draws when Graphviz's `dot` is not installed.

    Without `dot`, `pipe()` (and so a notebook's `_repr_mimebundle_`) and `render()` go through
    `render.render`, for the `dot` engine with no renderer or formatter of its own; anything
    else is graphviz's, which needs `dot`. `render()` keeps graphviz's file naming: it calls
    `_render`, the one place graphviz runs `dot` on a saved file, which is overridden here.
    """

    values = 0  # how many values the graph has: a picture past render.MAX_NODES is refused

    def pipe(self, format=None, renderer=None, formatter=None, neato_no_op=None, quiet=False, *, engine=None,
             encoding=None):  # fmt: skip
        """The picture as bytes, or text given an `encoding` (graphviz's `pipe`)."""
        options = {"renderer": renderer, "formatter": formatter, "neato_no_op": neato_no_op}
        if _has_dot() or not self._plain(engine, options):
            return super().pipe(format, quiet=quiet, engine=engine, encoding=encoding, **options)
        data = render(self, format or self.format, self.values)
        return data if encoding is None else data.decode(encoding)

    def _repr_svg_(self) -> str:
        """The SVG a notebook shows (graphviz's own display goes through `pipe` too)."""
        return self.pipe(format="svg", encoding="utf-8")

    def _render(self, engine, format, filepath, renderer=None, formatter=None, neato_no_op=None, quiet=False, *,
                outfile=None, raise_if_result_exists=False, overwrite_filepath=False) -> str:  # fmt: skip
        """Draw the saved source `filepath` to `outfile` (default `filepath.format`); its path."""
        options = {"renderer": renderer, "formatter": formatter, "neato_no_op": neato_no_op}
        if _has_dot() or not self._plain(engine, options):
            return graphviz.render(
                engine, format, filepath, quiet=quiet, outfile=outfile,
                raise_if_result_exists=raise_if_result_exists, overwrite_filepath=overwrite_filepath, **options,
            )  # fmt: skip
        target = os.fspath(outfile) if outfile is not None else f"{os.fspath(filepath)}.{format}"
        if raise_if_result_exists and os.path.exists(target):
            raise graphviz.FileExistsError(f"output file exists: {target!r}")
        write_atomic(target, render(self, format, self.values))
        return target

    def _plain(self, engine, options: dict) -> bool:
        """Drawn by the `dot` engine with no renderer or formatter of its own: what gradcli's renderer draws."""
        return (engine or self.engine) == "dot" and not any(options.values())


def _has_dot() -> bool:
    return shutil.which("dot") is not None
