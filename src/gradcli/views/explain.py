"""`explain`'s renderings of one Derivation: plain text, Rich (∂ and colour), markdown, and JSON.

Every rendering is made from the same lines; a line is a list of (text, style) segments. Plain
text writes `dL/da`; on a terminal and in markdown the partial derivatives are written `∂L/∂a`.
Each pass shows its first and last lines up to `--limit`, and only those lines are ever built.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from ..derivation import Derivation, bracketed, fill, grouped, slots
from ..fmt import short
from ..ops import OPS

Line = list[tuple[str, str]]

STYLES = {"name": "bold", "eq": "dim", "chain": "cyan", "sym": "yellow", "num": "", "value": "bold green"}
STYLES |= {"note": "dim italic", "title": "bold underline"}

MOST_TERMS = 8  # a sum of more terms writes the first and the last ones and counts the others


def _squash(text: str) -> str:
    return "".join(text.split())


def _equation(lhs: str, parts: list[tuple[str, str]], note: str = "") -> Line:
    """`lhs = part = part ...`, leaving out empty parts and a part that only repeats the one before it."""
    line, last = [(lhs, "name")], None
    for text, style in parts:
        if text and _squash(text) != last:
            line += [(" = ", "eq"), (text, style)]
            last = _squash(text)
        elif text and style == "value":  # the result repeats the step before it: style that step as the result
            line[-1] = (line[-1][0], style)
    if note:
        line.append((f"  # {note}", "note"))
    return line


# A line is made in two steps: its template, which holds everything but the numbers, then the
# numbers put in. The template is the same at any point; the walk-through page puts its own
# numbers into the same templates when an input changes.
#
# A template is (lhs, [(pieces, style)], note): each piece is text or a number to put in:
#   ("value", node, bracket)   the node's value           ("grad", node)   d output / d node
#   ("local", via, node)       d via / d node             ("term", via, node, bracket)   their product
# `bracket` writes a negative number in brackets; `note` is ("note", via, node), a text, or None.
Template = tuple[str, list[tuple[list, str]], tuple | None]


def _numbers(template: str, args: tuple) -> list:
    """The op's template with the arguments' values as pieces."""
    return [p if isinstance(p, str) else ("value", args[p[0]], p[1]) for p in slots(template)]


def forward_template(d: Derivation, i: int) -> Template:
    """`e = a*b = 2 * -3 = -6`: the source, the op on labels, the op on values, the value."""
    node, value = d.run.graph.nodes[i], ([("value", i, False)], "value")
    if not node.args:
        return d.labels[i], [value], None
    template = OPS[node.op].notation
    expr = fill(template, *(d.labels[a] for a in node.args))
    return d.labels[i], [([d.source(i)], "sym"), ([expr], "sym"), (_numbers(template, node.args), "num"), value], None


def gradient_templates(d: Derivation, i: int, start: int = 0, stop: int | None = None, D: str = "d") -> list[Template]:
    """Templates of lines start..stop of node i's gradient (see `gradient_lines`)."""
    labels, out = d.labels, d.labels[d.output]
    users = d.uses(i)
    stop = line_count(d, i) if stop is None else stop
    lhs = f"{D}{out}/{D}{labels[i]}"
    value = ([("grad", i)], "value")
    if not users:
        return [(lhs, [value], None)]
    templates = []
    for via in d.users_of(i)[start : min(stop, users)]:
        formula, args = d.formula(via, i), d.run.graph.nodes[via].args
        local, numbers = fill(formula, *(labels[a] for a in args)), _numbers(formula, args)
        parts = [([local], "sym"), (numbers, "num"), ([("local", via, i)], "num")]
        if via != d.output:
            grouped_numbers = _spaced(formula)
            up = [("grad", via), " * "]
            parts = [
                ([f"{D}{out}/{D}{labels[via]} * {D}{labels[via]}/{D}{labels[i]}"], "chain"),
                (up + [grouped(local)], "sym"),
                (up + (["(", *numbers, ")"] if grouped_numbers else numbers), "num"),
                (up + [("local", via, i)], "num"),
            ]
        head = lhs if users == 1 else f"{lhs} via {labels[via]}"
        templates.append((head, parts + [([("term", via, i, False)], "value")], ("note", via, i)))
    if users > 1 and stop > users:
        templates.append((lhs, [(total(d, i, users), "num"), value], None))
    return templates


@lru_cache(maxsize=1024)
def _spaced(formula: str) -> bool:
    """Whether the formula, with numbers put in, needs brackets to be multiplied (`grouped`)."""
    return grouped(fill(formula, "0", "0")) != fill(formula, "0", "0")


def total(d: Derivation, i: int, users: int) -> list:
    """`6 + 1`, `4 + (-2)` as pieces; past MOST_TERMS terms the middle ones are counted, not written."""
    vias = d.users_of(i)
    if users <= MOST_TERMS:
        return _joined([("term", via, i, True) for via in vias])
    shown = [("term", via, i, True) for via in [*vias[: MOST_TERMS - 2], vias[users - 1]]]
    return _joined([*shown[:-1], f"... ({users - MOST_TERMS + 1:,} more)", shown[-1]])


def _joined(pieces: list) -> list:
    return [piece for k, p in enumerate(pieces) for piece in ((" + ", p) if k else (p,))]


def line_count(d: Derivation, i: int) -> int:
    """How many lines node i's gradient takes: one, or one per user and their sum."""
    users = d.uses(i)
    return users + 1 if users > 1 else 1


def unreached_template(d: Derivation, v: int, D: str = "d") -> Template:
    """`dL/dv = 0  # v does not feed L`: a variable that the output is not computed from."""
    out = d.labels[d.output]
    return f"{D}{out}/{D}{d.labels[v]}", [(["0"], "value")], f"{d.labels[v]} does not feed {out}"


def put_numbers(d: Derivation, template: Template) -> Line:
    """The line of a template, with the run's numbers written as `short` writes them."""
    lhs, parts, note = template
    locals_: dict = {}
    written: dict = {}  # a number used in several parts (the gradient above) is written once

    def local(via: int, i: int) -> tuple[float, str]:
        if (via, i) not in locals_:
            locals_[via, i] = d.local(via, i)
        return locals_[via, i]

    def text(piece) -> str:
        if isinstance(piece, str):
            return piece
        if piece not in written:
            kind, a = piece[0], piece[1]
            if kind == "value":
                written[piece] = bracketed(d.number(a), piece[2])
            elif kind == "grad":
                written[piece] = short(d.run.grads[a], d.precision)
            elif kind == "local":
                written[piece] = short(local(a, piece[2])[0], d.precision)
            else:
                written[piece] = bracketed(short(d.run.grads[a] * local(a, piece[2])[0], d.precision), piece[3])
        return written[piece]

    said = note if note is None or isinstance(note, str) else local(*note[1:])[1]
    return _equation(lhs, [("".join(map(text, pieces)), style) for pieces, style in parts], said or "")


def forward_line(d: Derivation, i: int) -> Line:
    """`e = a*b = 2 * -3 = -6`: the source, the op on labels, the op on values, the value."""
    return put_numbers(d, forward_template(d, i))


def gradient_lines(d: Derivation, i: int, start: int = 0, stop: int | None = None, D: str = "d") -> list[Line]:
    """Lines start..stop of node i's gradient: `dL/da = dL/de * de/da = -2 * b = -2 * -3 = 6`; a node with
    several users has one line per user, then the sum."""
    return [put_numbers(d, t) for t in gradient_templates(d, i, start, stop, D)]


def pick(sizes: Sequence[int], limit: int) -> tuple[list[tuple[int, int, int]], list[tuple[int, int, int]], int]:
    """Which lines a pass of items with `sizes` lines each shows: (first segments, last segments, lines left out).

    A segment is (item, first line, end line). Without a limit, or within it, every line is shown;
    else the first `limit - limit // 2` lines and the last `limit // 2`.
    """
    total_lines = sum(sizes)
    if not limit or total_lines <= limit:
        return [(k, 0, size) for k, size in enumerate(sizes)], [], 0
    segments = []
    for want, ks in ((limit - limit // 2, range(len(sizes))), (limit // 2, range(len(sizes) - 1, -1, -1))):
        part = []
        for k in ks:
            if want <= 0:
                break
            take = min(sizes[k], want)
            part.append((k, 0, take) if ks.step > 0 else (k, sizes[k] - take, sizes[k]))
            want -= take
        segments.append(part if ks.step > 0 else part[::-1])
    return segments[0], segments[1], total_lines - limit


def _gap(left: int) -> Line:
    return [(f"... {left:,} lines left out (--wrt NAME follows one node, --limit 0 shows every line)", "note")]


def _pass(head, tail, left, make) -> list[Line]:
    lines = [line for segment in head for line in make(*segment)]
    if left:
        lines.append(_gap(left))
    lines += [line for segment in tail for line in make(*segment)]
    return lines or [[("(none)", "note")]]


def forward_pass(d: Derivation, limit: int) -> list[Line]:
    return _pass(*pick([1] * len(d.forward), limit), lambda k, a, b: [forward_line(d, d.forward[k])])


def backward_pass(d: Derivation, limit: int, D: str = "d") -> list[Line]:
    order, unreached = d.order, d.unreached
    sizes = [line_count(d, i) for i in order] + [1] * len(unreached)

    def make(k: int, start: int, stop: int) -> list[Line]:
        if k < len(order):
            return gradient_lines(d, order[k], start, stop, D)
        return [put_numbers(d, unreached_template(d, unreached[k - len(order)], D))]

    return _pass(*pick(sizes, limit), make)


def sections(d: Derivation, limit: int, D: str = "d") -> list[tuple[str, list[Line]]]:
    """(title, lines) for the forward and the backward pass, each cut to `limit` lines (0: no limit)."""
    target = "the variables" if d.wrt is None else d.labels[d.wrt]
    backward = f"Backward pass: the chain rule from {d.labels[d.output]} back to {target}"
    return [("Forward pass", forward_pass(d, limit)), (backward, backward_pass(d, limit, D))]


def plain(line: Line) -> str:
    return "".join(text for text, _ in line)


def explain_text(d: Derivation, limit: int = 0) -> str:
    """Plain text for a pipe or a file: ASCII `d`, two-space indented lines under each title."""
    blocks = [title + "\n" + "\n".join("  " + plain(line) for line in lines) for title, lines in sections(d, limit)]
    return "\n\n".join(blocks)


def explain_markdown(d: Derivation, limit: int = 0) -> str:
    """Markdown for notes: a heading per pass and one inline-code bullet per line, in ∂ notation."""
    blocks = [
        f"### {title}\n\n" + "\n".join(f"- `{plain(line)}`" for line in lines)
        for title, lines in sections(d, limit, "∂")
    ]  # fmt: skip
    return "\n\n".join(blocks)


def explain_rich(d: Derivation, limit: int = 0):
    """The terminal rendering: the same lines in ∂ notation, coloured by role."""
    from rich.console import Group
    from rich.text import Text

    parts = []
    for title, lines in sections(d, limit, "∂"):
        if parts:
            parts.append(Text())
        parts.append(Text(title, style=STYLES["title"]))
        parts += [Text.assemble("  ", *((text, STYLES[style]) for text, style in line)) for line in lines]
    return Group(*parts)
