"""The computation graph as DOT, in the style of micrograd's `draw_dot`, and `draw_dot` itself.

One record per value (`name | data 2.0000 | grad 6.0000`) and a small circle per operation
feeding its result. Variables, constants, intermediates and the output differ by fill and
border only: a calm picture for notes and slides. `backward_digraph` adds the backward pass
beside it (`graph --backward`), in green. `render.py` turns the picture into SVG, PNG, PDF or DOT bytes.

The picture is a `Picture`: the parts of a `graphviz.Digraph` (name, default attributes, body
lines) and the same DOT source, written here, so that `gradcli graph` never imports the graphviz
package (a costly import). `draw_dot` hands out a real `graphviz.Digraph` (`views.drawing`):

    >>> from gradcli import Value, draw_dot
    >>> x = Value(3.0, label="x")
    >>> y = x * x + 1
    >>> y.backward()
    >>> dot = draw_dot(y)                       # a notebook shows it as SVG
    >>> svg = dot.pipe(format="svg")            # the picture as bytes
    >>> path = dot.render("y", format="svg")    # writes y (the DOT source) and y.svg

With Graphviz's `dot` program installed, graphviz draws it as usual. Without it, gradcli's
renderer does (in a notebook's display, `pipe()` and `render()`): SVG from the WebAssembly
Graphviz that gradcli installs, PNG and PDF from that SVG (see `render`), DOT the source.
"""

from __future__ import annotations

import itertools
import os
import re
from typing import TYPE_CHECKING

from ..fmt import number
from ..graph import Graph
from ..ops import OPS
from ..printing import ATOM, TEXT
from ..render import check_size, format_of, save
from ..value import Value, to_graph

if TYPE_CHECKING:
    from .drawing import Drawing

FONT = "Helvetica"
INK = "#333333"
GREY = "#555555"

#: How each kind of value is drawn: variables pale blue, constants rounded and grey,
#: unnamed intermediates lighter than named ones, the output pale amber with a bold border.
STYLES = {
    "var": {"style": "filled", "fillcolor": "#dce8f5", "color": "#4a6a8a"},
    "const": {"shape": "Mrecord", "style": "filled", "fillcolor": "#f0f0f0", "color": "#9a9a9a", "fontcolor": GREY},
    "named": {},
    "unnamed": {"color": "#8c8c8c", "fontcolor": GREY},
    "output": {"style": "filled,bold", "fillcolor": "#fbe8c4", "color": "#8a6414"},
}
OP_STYLE = {
    "shape": "circle", "style": "filled", "fillcolor": "#eeeeee", "color": "#8c8c8c",
    "fontsize": "10", "width": "0.3", "margin": "0.02",
}  # fmt: skip

SPECIAL = re.compile(r'[\\{}|<>"]')  # structures a record label, or ends a DOT string
PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|-?(\.\d+|\d+(\.\d*)?)")  # a DOT ID that needs no quotes

#: Past this many values, cap Graphviz's x-placement iterations: a few times faster, barely different.
LARGE = 500


def _field(text: str) -> str:
    """Escape the characters that structure a record label or end a DOT string."""
    return SPECIAL.sub(r"\\\g<0>", text)


def _attrs(style: dict) -> str:
    """` key=value ...` as graphviz writes them: sorted, quoted unless a plain name or number."""
    return "".join(f" {k}={v}" if PLAIN.fullmatch(v) else f' {k}="{v}"' for k, v in sorted(style.items()))


class Picture:
    """A DOT digraph: `name`, the `graph_attr`, `node_attr` and `edge_attr` defaults, and the
    `body` lines; its `source` is the text `graphviz.Digraph` writes for the same parts."""

    def __init__(self, name: str, graph_attr: dict, node_attr: dict, edge_attr: dict, body: list | None = None):
        self.name, self.graph_attr, self.node_attr, self.edge_attr = name, graph_attr, node_attr, edge_attr
        self.body = [] if body is None else body

    @property
    def source(self) -> str:
        defaults = [("graph", self.graph_attr), ("node", self.node_attr), ("edge", self.edge_attr)]
        head = [f"\t{kind} [{_attrs(attrs)[1:]}]\n" for kind, attrs in defaults if attrs]
        return "".join([f"digraph {self.name} {{\n", *head, *self.body, "}\n"])

    def copy(self) -> Picture:
        attrs = (dict(self.graph_attr), dict(self.node_attr), dict(self.edge_attr))
        return Picture(self.name, *attrs, list(self.body))


def _kind(graph: Graph, i: int, output: int) -> str:
    node = graph.nodes[i]
    if i == output:
        return "output"
    if node.op in ("var", "const"):
        return node.op
    return "named" if node.name is not None else "unnamed"


def digraph(
    graph: Graph,
    values: list | None = None,
    grads: list | None = None,
    *,
    rankdir: str = "LR",
    precision: int = 4,
    depends: list | None = None,
    output: int | None = None,
) -> Picture:
    """The picture of `graph`: names and ops, plus data and grad rows when they are given.

    `depends[i]` false shows node i's grad as `—` (a constant has none); `output` is the node
    drawn as the output (the graph's own by default).
    """
    output = graph.output if output is None else output
    labels = graph.labels()
    layout = {"rankdir": rankdir, "ordering": "in", "bgcolor": "white", "nodesep": "0.25", "ranksep": "0.35"}
    if len(graph) > LARGE:
        layout["nslimit"] = "0.2"
    dot = Picture(
        "gradcli",
        graph_attr=layout,
        node_attr={"shape": "record", "fontname": FONT, "fontsize": "11", "color": GREY, "fontcolor": INK},
        edge_attr={"color": "#777777", "arrowsize": "0.6"},
    )
    styles = {kind: _attrs(style) for kind, style in STYLES.items()}
    op_style = _attrs(OP_STYLE)
    body = dot.body
    for i, node in enumerate(graph.nodes):
        label = _field(labels[i])
        if values is not None:
            label += f" | data {number(values[i], precision)}"
        if grads is not None:
            label += f" | grad {number(grads[i] if depends is None or depends[i] else None, precision)}"
        # A record's fields stack across the rank direction; braces lay them in one row for LR.
        if rankdir == "LR":
            label = f"{{ {label} }}"
        body.append(f'\tv{i} [label="{label}"{styles[_kind(graph, i, output)]}]\n')
        if node.args:
            body.append(f'\to{i} [label="{_field(graph.symbol(i))}"{op_style}]\n')
            body.extend(f"\tv{a} -> o{i}\n" for a in node.args)
            body.append(f"\to{i} -> v{i}\n")
    return dot


def run_digraph(run, *, rankdir="LR", precision=4) -> Picture:
    """The picture of a `program.Run`: every value with its data and its grad d(output)/d(value)
    (`—` where the value depends on no variable or does not feed the output)."""
    graph = run.graph
    grads = [run.grad(i) for i in range(len(graph))]
    return digraph(graph, run.values, grads, rankdir=rankdir, precision=precision, output=run.output)


# ---- the backward pass beside it (`graph --backward`) ----------------------------------------------

#: The adjoints, in a calm green: each dL/dv boxed like a value, its parts lighter, the seed bold.
ADJOINT_STYLES = {
    "grad": {"style": "filled", "fillcolor": "#e3f1e8", "color": "#4f8a6b"},
    "seed": {"style": "filled,bold", "fillcolor": "#e3f1e8", "color": "#4f8a6b"},
    "part": {"color": "#8fb5a0", "fontcolor": GREY},
    "const": STYLES["const"],
}
ADJOINT_OP = OP_STYLE | {"fillcolor": "#eef6f1", "color": "#8fb5a0"}
#: The backward pass's own edges, each declared from its end and drawn back (`dir=back`), so that
#: dL/dv sits in v's column and the pass runs right to left under the program; and the dashed light
#: edges that bring it a forward value, which do not rank (`constraint=false`).
ADJOINT_EDGE = {"color": "#4f8a6b", "dir": "back"}
FORWARD_EDGE = {"style": "dashed", "color": "#b8b8b8", "constraint": "false"}
TEXT_LIMIT = 32  # a part's formula past this many characters is cut, ending in ...


def backward_digraph(graph: Graph, adjoint, values=None, grads=None, *, rankdir="LR", precision=4):
    """The picture of `graph` (as `digraph` draws it) with its adjoint program beside it: a box
    `dL/dv` per value v with a gradient (its number, or its formula when there are no values), each
    computed from the boxes above it and the forward values it reads (dashed light edges)."""
    dot = digraph(graph, values, grads, rankdir=rankdir, precision=precision, output=adjoint.output)
    expr, labels, bound = adjoint.expr, graph.labels(), adjoint.values is not None
    top = labels[adjoint.output]
    texts: list = [None] * len(expr)  # each node's formula to show, in `gradcli diff`'s notation
    drawn: dict[int, str] = {}  # Expr node -> the DOT node that shows it
    for j in range(len(expr)):
        leaf = adjoint.leaf(j)
        if leaf is not None:
            kind, i = leaf
            name = labels[i] if kind == "value" else f"d{top}/d{labels[i]}"
            texts[j] = (name, ATOM)
            drawn[j] = f"v{i}" if kind == "value" else f"g{i}"
        else:  # cut as it is made, so that a long sum's text stays short (and the work linear)
            text, precedence = TEXT.node(expr, j, texts)
            texts[j] = (_cut(text), precedence)
    styles = {kind: _attrs(style) for kind, style in ADJOINT_STYLES.items()}
    op_style = _attrs(ADJOINT_OP)
    adjoint_edge, forward_edge = (f" [{_attrs(style).strip()}]" for style in (ADJOINT_EDGE, FORWARD_EDGE))
    body, consts = dot.body, itertools.count()

    def record(node: str, label: str, kind: str, j: int) -> None:
        if bound and kind != "const":
            label += f" | {number(adjoint.values[j], precision)}"
        if rankdir == "LR":
            label = f"{{ {label} }}"
        body.append(f'\t{node} [label="{label}"{styles[kind]}]\n')

    def source(j: int) -> str:
        """The DOT node an edge from Expr node j starts at; a number gets a small box of its own."""
        if expr.ops[j] == "const":
            node = f"k{next(consts)}"
            record(node, _field(texts[j][0]), "const", j)
            return node
        return drawn[j]

    def edge(j: int, to: str) -> None:
        start = source(j)
        if start.startswith("v"):
            body.append(f"\t{start} -> {to}{forward_edge}\n")
        else:  # declared from its end, drawn back: the backward pass runs right to left, under the forward one
            body.append(f"\t{to} -> {start}{adjoint_edge}\n")

    def operation(j: int, to: str) -> None:
        body.append(f'\tq{j} [label="{_field(OPS[expr.ops[j]].symbol)}"{op_style}]\n')
        for a in expr.args[j]:
            edge(a, f"q{j}")
        body.append(f"\t{to} -> q{j}{adjoint_edge}\n")

    for i, g in adjoint.grads.items():
        s = adjoint.sums.get(i)
        shown = _field(texts[g][0])
        if s is None:  # the output: the seed, 1
            record(f"g{i}", shown if bound else f"{shown} | 1", "seed", g)
            continue
        formula = "" if bound else f" | {_field(texts[s][0])}"
        record(f"g{i}", shown + formula, "grad", g)
        if s in drawn or not expr.args[s]:  # another node's adjoint, a forward value or a number
            edge(s, f"g{i}")
            continue
        drawn[s] = f"g{i}"
        parts, stack = [], list(expr.args[s])
        while stack:  # the local derivatives' own nodes, not drawn yet
            j = stack.pop()
            if j not in drawn and expr.args[j]:
                drawn[j] = f"a{j}"
                parts.append(j)
                stack.extend(expr.args[j])
        for j in sorted(parts):
            record(f"a{j}", _field(texts[j][0]), "part", j)
            operation(j, f"a{j}")
        operation(s, f"g{i}")
    return dot


def _cut(text: str) -> str:
    return text if len(text) <= TEXT_LIMIT else text[: TEXT_LIMIT - 3] + "..."


def check_graph(graph: Graph, fmt: str) -> None:
    """Refuse, before any work, a picture of `graph` that `render.check_size` would refuse."""
    check_size(fmt, len(graph))  # first by values: a huge picture is not built only to be refused
    if fmt != "dot":
        check_size(fmt, len(graph), digraph(graph))


def save_graph(run, path: str | os.PathLike, fmt: str | None = None, rankdir: str = "LR", precision: int = 4) -> None:
    """Draw a `program.Run` with its data and grads to `path` (format from the extension unless `fmt`)."""
    fmt = format_of(path, fmt)
    save(run_digraph(run, rankdir=rankdir, precision=precision), path, fmt, len(run.graph))


# ---- draw_dot: micrograd's picture of a Value ------------------------------------------------------

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
    from .drawing import Drawing  # graphviz is imported only for draw_dot's picture

    drawing = Drawing(picture.name, body=picture.body, format=format, **attrs)  # graphviz checks the format
    drawing.values = len(graph)
    return drawing
