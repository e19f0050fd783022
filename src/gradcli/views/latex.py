"""`explain` in LaTeX: the passes as `align*` blocks (`--format latex`), or a frame per backward step
(`--format beamer`), and the printer that writes gradcli's expressions in LaTeX.

Each line is explain's own line (the same templates, the same numbers), each part of it read back
by gradcli's parser and printed with as few brackets as precedence allows: `1 - tanh(t4)**2` is
`1 - \\tanh\\left(t_{4}\\right)^{2}`, `dL/de * de/da` is `\\frac{\\partial L}{\\partial e}\\,\\frac{\\partial
e}{\\partial a}`. A part that is not an expression (never, for the op table's formulas) is set as text.
"""

from __future__ import annotations

import re

from ..derivation import Derivation
from ..errors import GradcliError
from ..graph import Graph
from .explain import Line, backward_pass, forward_pass, gradient_lines, line_count, pick, unreached_template
from .explain import put_numbers as _put_numbers

MARK = "\x00"  # written for d in dL/da, so that the fractions are found again whatever the labels are
PREAMBLE = "\\usepackage[T1]{fontenc}\n\\usepackage{amsmath}\n\\allowdisplaybreaks\n"  # a long pass goes on over pages

#: How a function is written: LaTeX's own operator, or another form ({x}, {y}: the arguments).
FUNCTIONS = {
    "tanh": "\\tanh", "sin": "\\sin", "cos": "\\cos", "tan": "\\tan", "exp": "\\exp", "log": "\\log",
    "max": "\\max", "min": "\\min", "sigmoid": "\\sigma",
    "sqrt": "\\sqrt{{{x}}}", "abs": "\\left|{x}\\right|",
}  # fmt: skip
GREEK = set(
    "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi rho sigma tau upsilon phi chi psi"
    " omega Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega".split()
)
WORDS = {"inf": "\\infty", "undefined": "\\text{undefined}"}  # how explain writes a number that is not finite
ATOM, POWER, SIGN, PRODUCT, SUM = 100, 90, 70, 60, 50  # precedence: what binds tighter comes first

_NUMBER = re.compile(r"(\d+\.?\d*|\.\d+)[eE]([+-]?\d+)")
_NAME = re.compile(r"([A-Za-z]+)(\d+)")
_RESERVED = re.compile(r"[#$%&_{}~^\\]")


def text(words: str) -> str:
    """Plain words in `\\text{...}`, with TeX's special characters escaped."""
    escaped = {"\\": "\\textbackslash{}", "~": "\\textasciitilde{}", "^": "\\textasciicircum{}"}
    words = _RESERVED.sub(lambda m: escaped.get(m.group(), "\\" + m.group()), words)
    return "\\text{" + words.replace("--", "-{}-") + "}"  # -- is not a dash: an option's name


def name(label: str) -> str:
    """A variable's name: `x`, `x_{1}`, `\\alpha`, `\\mathrm{lr}`, `c_{\\#1}` (c's first assignment)."""
    if label in WORDS:
        return WORDS[label]
    base, _, again = label.partition("#")
    if again:
        return f"{{{name(base)}}}_{{\\#{again}}}"
    if base in GREEK:
        return "\\" + base
    match = _NAME.fullmatch(base)
    if match:
        return f"{name(match.group(1))}_{{{match.group(2)}}}"
    if len(base) == 1:
        return base
    return "\\mathrm{" + base.replace("_", "\\_") + "}"


def _number(literal: str) -> tuple[str, int]:
    """A number as written in the program (`0.8814`, `1e-07`, `(-2)`, `pi`): LaTeX and its precedence."""
    literal = " ".join(literal.split())
    out = _NUMBER.sub(lambda m: f"{m.group(1)} \\times 10^{{{int(m.group(2))}}}", literal).replace("pi", "\\pi")
    if literal.startswith("(") and literal.endswith(")"):
        return out, ATOM
    if literal.startswith("-"):
        return out, SIGN
    return out, PRODUCT if "\\times" in out else ATOM


def expression(graph: Graph, names=name) -> str:
    """A parsed expression in LaTeX, with as few brackets as precedence allows (no recursion: node by node).

    A negative number is bracketed where explain brackets it (after + or -, as a base), not after
    a product's dot (`-2 \\cdot -3`).
    """
    done: list[tuple[str, int]] = []

    def wrap(k: int, below: int) -> str:
        latex, level = done[k]
        return f"\\left({latex}\\right)" if level < below else latex

    for i, node in enumerate(graph.nodes):
        args = node.args
        if node.op == "var":
            done.append((names(node.name), ATOM))
        elif node.op == "const":
            done.append(_number(graph.text(i)))
        elif node.op in ("add", "sub"):
            sign = "+" if node.op == "add" else "-"
            right = done[args[1]]
            bracket = right[1] <= SUM or right[1] == SIGN  # a - (b + c), a + (-3)
            done.append((f"{wrap(args[0], SUM)} {sign} {wrap(args[1], ATOM) if bracket else right[0]}", SUM))
        elif node.op == "mul":
            done.append((f"{wrap(args[0], PRODUCT)} \\cdot {wrap(args[1], SIGN)}", PRODUCT))
        elif node.op == "div":
            done.append((f"\\frac{{{done[args[0]][0]}}}{{{done[args[1]][0]}}}", POWER))
        elif node.op == "pow":
            done.append((f"{wrap(args[0], ATOM)}^{{{done[args[1]][0]}}}", POWER))
        elif node.op == "neg":
            done.append((f"-{wrap(args[0], SIGN + 1)}", SIGN))
        elif node.op == "id":
            done.append(done[args[0]])
        else:
            form = FUNCTIONS.get(node.op, f"\\operatorname{{{node.op}}}")
            inner = ", ".join(done[a][0] for a in args)
            if "{x}" in form:
                done.append((form.format(x=inner), ATOM))
            else:
                done.append((f"{form}\\left({inner}\\right)", ATOM))
    return done[graph.output][0]


def formula(source: str) -> str:
    """Explain's text of an expression (`-2 * b`, `6 + 1`) in LaTeX; text that does not parse, as text."""
    from ..parser import parse

    labels: dict[str, str] = {}

    def placeholder(match: re.Match) -> str:  # `c#1` is not a name the parser reads
        labels[f"c__{len(labels)}"] = match.group()
        return f"c__{len(labels) - 1}"

    more = re.fullmatch(r"(.*) \+ \.\.\. \(([\d,]+) more\) \+ (.*)", source)
    if more:
        head, count, tail = more.groups()
        return f"{formula(head)} + \\underbrace{{\\cdots}}_{{\\text{{{count} more}}}} + {formula(tail)}"
    readable = re.sub(r"[A-Za-z_]\w*#\d+", placeholder, source)
    try:
        graph = parse(readable)
    except GradcliError:
        return text(source)
    if len(graph.named) or graph.output < 0:
        return text(source)
    return expression(graph, lambda n: name(labels.get(n, n)))


def _partial(part: str) -> str:
    """`MARK L/MARK a` (optionally ` via t1`) as a fraction of partial derivatives."""
    fraction = re.compile(f"{MARK}(.+?)/{MARK}(.+)")
    pieces = []
    for factor in part.split(" * "):
        head, _, via = factor.partition(" via ")
        top, bottom = fraction.fullmatch(head).groups()
        frac = f"\\frac{{\\partial {name(top)}}}{{\\partial {name(bottom)}}}"
        pieces.append(frac + (f" \\; (\\text{{via }} {name(via)})" if via else ""))
    return "\\,".join(pieces)


def line(parts: Line, width: int = 70) -> str:
    """One of explain's lines in LaTeX, aligned at its first `=`; past about `width` characters of
    explain's text, the next `=` (or the note) starts another row under the first. A part that reads
    as the one before it once in LaTeX (`pow(b, a)` and `b ** a`) is left out, with its `=`."""
    math = [formula(segment) if style in _MATH else None for segment, style in parts]
    kept = [k for k in range(len(parts)) if not (math[k] is not None and k > 1 and math[k] == math[k - 2])]
    out, first, used = [], True, 0
    for k in kept:
        segment, style = parts[k]
        if style == "eq" and k + 1 not in kept:
            continue
        if style == "eq" or style == "note":
            if not first and used + (len(segment) if style == "note" else 0) > width:
                out.append(" \\\\\n  &")
                used = 0
            if style == "note":
                out.append(f"\\quad {text('(' + segment.strip().removeprefix('# ') + ')')}")
            else:
                out.append(" &= " if first else " = ")
                first = False
        elif style == "chain" or (style == "name" and segment.startswith(MARK)):
            out.append(_partial(segment))
        elif style == "name":
            out.append(name(segment) if re.fullmatch(r"[A-Za-z_][\w#]*", segment) else text(segment))
        else:
            out.append(math[k])
        used += len(segment)
    return "".join(out) + (" &" if first else "")


_MATH = ("sym", "num", "value")


def _block(lines: list[Line], width: int = 70) -> str:
    return "\\begin{align*}\n" + " \\\\\n".join(f"  {line(parts, width)}" for parts in lines) + "\n\\end{align*}\n"


def _title(d: Derivation) -> str:
    target = "the variables" if d.wrt is None else f"${name(d.labels[d.wrt])}$"
    return f"Backward pass: the chain rule from ${name(d.labels[d.output])}$ back to {target}"


def explain_latex(d: Derivation, limit: int = 0) -> str:
    """A LaTeX document: the forward pass and the backward pass, each an `align*` block."""
    return (
        f"\\documentclass{{article}}\n{PREAMBLE}\\begin{{document}}\n\n"
        f"\\section*{{Forward pass}}\n{_block(forward_pass(d, limit))}\n"
        f"\\section*{{{_title(d)}}}\n{_block(backward_pass(d, limit, MARK))}\n\\end{{document}}\n"
    )


def explain_beamer(d: Derivation, limit: int = 0) -> str:
    """Beamer slides: the forward pass, then one frame per backward step (each node's gradient, with
    one line per path and their sum for a node used in several places)."""
    order, unreached = d.order, d.unreached
    sizes = [line_count(d, i) for i in order] + [1] * len(unreached)
    first, last, left = pick(sizes, limit)
    forward = _block(forward_pass(d, limit), 45)
    frames = [f"\\begin{{frame}}[allowframebreaks]{{Forward pass}}\n{forward}\\end{{frame}}\n"]
    steps = len(sizes)
    for segments, gap in ((first, left), (last, 0)):
        for k, start, stop in segments:
            if k < len(order):
                lines = gradient_lines(d, order[k], start, stop, MARK)
            else:
                lines = [_put_numbers(d, unreached_template(d, unreached[k - len(order)], MARK))]
            top, bottom = lines[0][0][0].partition(" via ")[0][1:].split(f"/{MARK}")
            title = f"Step {k + 1} of {steps}: $\\partial {name(top)} / \\partial {name(bottom)}$"
            frames.append(f"\\begin{{frame}}{{{title}}}\n{_block(lines, 45)}\\end{{frame}}\n")
        if gap:
            frames.append(
                f"\\begin{{frame}}{{\\dots}}\n{gap:,} lines left out (--limit 0 shows every one)\n\\end{{frame}}\n"
            )
    return f"\\documentclass{{beamer}}\n{PREAMBLE}\\begin{{document}}\n\n" + "\n".join(frames) + "\n\\end{document}\n"
