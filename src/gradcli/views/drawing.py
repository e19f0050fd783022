"""`draw_dot`'s picture: a `graphviz.Digraph` that gradcli draws when Graphviz's `dot` is not installed.

Kept apart from the DOT view (`views.dot`) because importing graphviz is costly: only `draw_dot`
loads this module, so `gradcli graph` writes its picture without the graphviz package.
"""

from __future__ import annotations

import os
import shutil

import graphviz

from ..output import write_atomic
from ..render import render


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
