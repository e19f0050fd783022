"""`walkthrough`: the backward pass as a page to step through, for a program or a `Value`'s graph.

    >>> from gradcli import Value, walkthrough
    >>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    >>> L = (a * b + 10) * -2
    >>> path = walkthrough(L, "walk.html")      # writes the page
    >>> page = walkthrough(L)                   # the page as text; a notebook shows it

The page is the one `gradcli graph ... --out walk.html` writes: `gradcli graph`'s picture, every
forward and backward step with explain's line, and an input per variable that re-runs both passes.
"""

from __future__ import annotations

import html
import os

from .derivation import derive
from .output import write_atomic
from .program import Run
from .render import render
from .views.dot import run_digraph
from .views.page import walkthrough_page


def page(run: Run, *, precision: int = 4, rankdir: str = "LR", program: str = "", source: str | None = None) -> str:
    """The walk-through page of a run (its output, every variable bound); `program` is the text shown."""
    svg = render(run_digraph(run, rankdir=rankdir, precision=precision), "svg", len(run.graph))
    return walkthrough_page(derive(run, None, precision), svg, program, source)


class Page(str):
    """The page's HTML; a notebook shows it in a frame of its own."""

    def _repr_html_(self) -> str:
        return (
            f'<iframe srcdoc="{html.escape(self, quote=True)}" sandbox="allow-scripts" title="gradcli walk-through"'
            ' style="width: 100%; height: 720px; border: 1px solid #ddd"></iframe>'
        )


def walkthrough(root, path: str | os.PathLike | None = None, *, precision: int = 4, rankdir: str = "LR"):
    """The walk-through page of `root`'s graph: written to `path` (which is returned), or returned as text.

    Leaf values are the inputs, under their labels (an unlabelled one gets a name); the page starts
    at their current data and differentiates `root`. A value made by micrograd's constructor with an
    op of its own cannot be re-run in the page, and is refused.
    """
    from .value import Value, to_graph

    if not isinstance(root, Value):
        raise TypeError(f"walkthrough(root, path=None): root must be a Value, not {root!r}")
    if str(rankdir).upper() not in ("LR", "TB"):
        raise ValueError(f"walkthrough: rankdir must be 'LR' (left to right) or 'TB' (top to bottom), not {rankdir!r}")
    graph, values, _ = to_graph(root)
    from .ops import OPS

    own = sorted({node.op for node in graph.nodes if node.op not in OPS and node.op not in ("var", "const")})
    if own:
        raise ValueError(
            f"walkthrough: the page runs gradcli's ops only, and this graph has its own: {', '.join(own)}"
            " (made with Value(data, children, op)); draw_dot(root) draws it"
        )
    bindings = {name: values[i] for name, i in graph.variables.items()}
    text = Page(page(Run.of(graph, bindings, graph.output), precision=precision, rankdir=str(rankdir).upper()))
    if path is None:
        return text
    write_atomic(path, text.encode())
    return os.fspath(path)
