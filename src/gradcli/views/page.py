"""The walk-through page: one self-contained HTML file that steps through the forward and the backward pass.

The picture is `gradcli graph`'s SVG, its values and gradients filled in step by step; each step
shows explain's line for it, made from explain's own templates (`views/explain.py`) with the page
putting in the numbers. The page runs the forward and backward pass itself when an input changes,
with each op's code generated from the op table (`views/js.py`). Everything is inline (no network),
and a Content-Security-Policy allows only the page's own script and style, by their hashes.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import math
import re
import xml.etree.ElementTree as ET
from importlib import resources

from ..derivation import Derivation, fill
from ..ops import OPS
from .explain import forward_template, gradient_templates, unreached_template
from .js import ops_script
from .table import describe

SVG = "http://www.w3.org/2000/svg"
PACE_MS = 1200  # one step per this many milliseconds while playing: time to read a line
RAW_TEXT_END = re.compile(r"</(script|style)|<!--", re.I)  # what would end an inline script or style early


def walkthrough_page(d: Derivation, svg: bytes, program: str = "", source: str | None = None) -> str:
    """The page for a derivation (made with `wrt=None`) and its picture, `gradcli graph`'s SVG.

    `program` is the program text shown at the top; `source` the file it came from, if any.
    """
    labels = d.labels
    script = ops_script() + "\n" + _asset("walk.js")
    style = _asset("walk.css")
    for text in (script, style):
        if RAW_TEXT_END.search(text):  # the generated part comes from the op table: make sure
            raise ValueError("the page's script or style would end early")
    csp = (
        f"default-src 'none'; script-src '{_digest(script)}'; style-src '{_digest(style)}'; img-src data:; "
        "base-uri 'none'; form-action 'none'"
    )
    out = labels[d.output]
    head = program.strip() or f"{out}, from a Value"
    title = f"gradcli walk-through: {' '.join(head.split())[:80]}"
    return "".join(
        [
            '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n',
            f'<meta http-equiv="Content-Security-Policy" content="{csp}">\n',
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
            '<meta name="generator" content="gradcli">\n',
            f"<title>{_text(title)}</title>\n",
            '<link rel="icon" href="data:,">\n',
            f"<style>{style}</style>\n</head>\n<body>\n<header>\n",
            "<h1>Backpropagation, step by step <small>gradcli walk-through</small></h1>\n",
            f"<p>from {_text(source)}</p>\n" if source else "",
            f'<pre class="gc-program">{_text(program.strip())}</pre>\n' if program.strip() else "",
            '<div id="gc-inputs" role="group" aria-label="inputs"></div>\n</header>\n<main>\n',
            '<div class="gc-bar">\n<div class="gc-controls" role="toolbar" aria-label="steps">\n',
            _button("gc-first", "\u21e4 Start", "back to the start (Home)"),
            _button("gc-back", "\u25c0 Back", "one step back (\u2190)"),
            _button("gc-play", "\u25b6 Play", "play the steps (Space)", ' aria-pressed="false"'),
            _button("gc-next", "Next \u25b6", "one step on (\u2192)"),
            _button("gc-end", "End \u21e5", "jump to the last step (End)"),
            '<span id="gc-counter"></span>\n',
            '<span class="gc-keys">\u2190 \u2192 step \u00b7 Home / End \u00b7 Space plays</span>\n',
            _button("gc-fit", "Actual size", "show the picture at its actual size, or fitted to the width"),
            '</div>\n<div id="gc-now" aria-live="polite"></div>\n</div>\n',
            '<p class="gc-script">This page steps through the passes with JavaScript, which is off; the picture'
            " shows the end.</p>\n",
            f'<figure id="gc-picture">{_inline_svg(svg)}</figure>\n',
            '<section class="gc-log">\n<h2>Forward pass</h2>\n<ol id="gc-forward"></ol>\n',
            f"<h2>Backward pass: the chain rule from {_text(out)} back to the variables</h2>\n",
            '<ol id="gc-backward"></ol>\n</section>\n',
            _table(d),
            f'<script type="application/json" id="gc-data">{_json(_data(d))}</script>\n',
            f"<script>{script}</script>\n</body>\n</html>\n",
        ]
    )


def _data(d: Derivation) -> dict:
    """What the script needs: the graph, the steps with their line templates, the inputs and the ops."""
    run, labels = d.run, d.labels
    graph = run.graph
    depends = graph.compiled.depends
    nodes = [
        [node.op, list(node.args), labels[i], node.value if node.op == "const" else None, depends[i]]
        for i, node in enumerate(graph.nodes)
    ]
    forward = [i for i in graph.variables.values()] + [i for i, node in enumerate(graph.nodes) if node.args]
    steps = [["forward", i, [forward_template(d, i)], []] for i in forward]
    steps += [["backward", i, gradient_templates(d, i, D="\u2202"), list(d.users_of(i))] for i in d.order]
    steps += [["unreached", v, [unreached_template(d, v, "\u2202")], []] for v in d.unreached]
    used = {node.op for node in graph.nodes if node.args}
    ops = {name: {"domain": op.domain if isinstance(op.domain, str) else "", "kink": op.kink.why if op.kink else ""}
           for name, op in OPS.items() if name in used}  # fmt: skip
    return {
        "precision": d.precision,
        "output": d.output,
        "pace": PACE_MS,
        "nodes": nodes,
        "variables": [[name, i, run.values[i], *slider(run.values[i])] for name, i in graph.variables.items()],
        "steps": steps,
        "ops": ops,
        "where": [_where(d, i) if node.args else "" for i, node in enumerate(graph.nodes)],
    }


def _where(d: Derivation, i: int) -> str:
    """How an error names node i: its place in the program, or for a Value's graph its op on its arguments."""
    graph = d.run.graph
    if graph.source:
        return graph.where(i)
    return f"{d.labels[i]} = {fill(OPS[graph.nodes[i].op].notation, *(d.labels[a] for a in graph.nodes[i].args))}"


def slider(value: float) -> tuple[float, float, float, int]:
    """(low, high, step, decimals) of a slider for a value: symmetric about 0, out to a round number (1, 2
    or 5 times a power of ten) at least twice the value's size and at least 1, in 100 steps."""
    reach = min(max(2 * abs(value), 1.0), 1e307)
    k = math.floor(math.log10(reach))
    m = next(m for m in (1, 2, 5, 10) if m * 10.0**k >= reach)
    if m == 10:
        m, k = 1, k + 1
    high = m * 10.0**k
    return -high, high, high / 100, max(0, 2 - k)


def _table(d: Derivation) -> str:
    """Every value and gradient at the current inputs, as `eval --all` lists them (the script fills the numbers)."""
    run, labels = d.run, d.labels
    out = _text(labels[d.output])
    rows = []
    for i in run.listed(unnamed=True):
        op = "var" if run.graph.nodes[i].op == "var" else run.graph.symbol(i)
        rows.append(
            f'<tr data-node="{i}"><th scope="row">{_text(labels[i])}</th><td>{_text(op)}</td>'
            f'<td>{_text(describe(run, i))}</td><td class="gc-number"></td><td class="gc-number"></td></tr>\n'
        )
    return (
        "<details>\n<summary>Every value and gradient</summary>\n"
        f'<table id="gc-table">\n<thead><tr><th>node</th><th>op</th><th>definition</th><th>value</th>'
        f"<th>d{out}/d(node)</th></tr></thead>\n<tbody>\n{''.join(rows)}</tbody>\n</table>\n</details>\n"
    )


def _inline_svg(svg: bytes) -> str:
    """Graphviz's SVG made ready to sit in the page: well-formed XML written again (all text escaped), ids
    and tooltips taken out, each value, op and edge marked `data-k` (`v2`, `o2`, `v0->o2`), scalable."""
    ET.register_namespace("", SVG)
    ET.register_namespace("xlink", "http://www.w3.org/1999/xlink")
    root = ET.fromstring(svg)
    for parent in root.iter():
        title = parent.find(f"{{{SVG}}}title")
        if title is not None:
            if parent.get("class") in ("node", "edge"):
                parent.set("data-k", "".join(title.itertext()).strip())
            parent.remove(title)
        parent.attrib.pop("id", None)
    root.set("role", "img")
    root.set("aria-label", "the computation graph, each value with its data and grad")
    return ET.tostring(root, encoding="unicode")


def _asset(name: str) -> str:
    return resources.files("gradcli.views").joinpath("walk", name).read_text(encoding="utf-8")


def _digest(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


def _text(text: str) -> str:
    return html.escape(text, quote=True)


def _json(data: dict) -> str:
    """JSON that cannot end its script element: <, > and & written as escapes, as are the line separators."""
    text = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    for char in "<>&\u2028\u2029":
        text = text.replace(char, f"\\u{ord(char):04x}")
    return text


def _button(ident: str, text: str, hint: str, extra: str = "") -> str:
    return (
        f'<button type="button" id="{ident}" title="{_text(hint)}" aria-label="{_text(hint)}"{extra}>{text}</button>\n'
    )
