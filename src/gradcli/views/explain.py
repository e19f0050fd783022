"""`explain`'s renderings of one Derivation: plain text, Rich (∂ and colour), markdown, and JSON.

Every rendering is made from the same lines; a line is a list of (text, style) segments. Plain
text writes `dL/da`; on a terminal and in markdown the partial derivatives are written `∂L/∂a`.
Each pass shows its first and last lines up to `--limit`, and only those lines are ever built.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..derivation import Derivation, grouped
from ..fmt import short

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


def forward_line(d: Derivation, i: int) -> Line:
    """`e = a*b = 2 * -3 = -6`: the source, the op on labels, the op on values, the value."""
    f = d.line(i)
    parts = [(f.source, "sym"), (f.expr, "sym"), (f.numbers, "num"), (short(f.value, d.precision), "value")]
    return _equation(d.labels[i], parts)


def line_count(d: Derivation, i: int) -> int:
    """How many lines node i's gradient takes: one, or one per user and their sum."""
    users = d.uses(i)
    return users + 1 if users > 1 else 1


def gradient_lines(d: Derivation, i: int, start: int = 0, stop: int | None = None, D: str = "d") -> list[Line]:
    """Lines start..stop of node i's gradient: `dL/da = dL/de * de/da = -2 * b = -2 * -3 = 6`; a node with
    several users has one line per user, then the sum."""
    labels, out, precision = d.labels, d.labels[d.output], d.precision
    users = d.uses(i)
    stop = line_count(d, i) if stop is None else stop
    lhs = f"{D}{out}/{D}{labels[i]}"
    value = (short(d.run.grads[i], precision), "value")
    if not users:
        return [_equation(lhs, [value])]
    g = d.gradient(i, range(start, min(stop, users)))
    lines = []
    for t in g.terms:
        via = labels[t.via]
        head = lhs if users == 1 else f"{lhs} via {via}"
        local = [(t.local, "sym"), (t.numbers, "num"), (short(t.local_value, precision), "num")]
        if t.via != d.output:
            up = short(t.upstream, precision)
            chain = (f"{D}{out}/{D}{via} * {D}{via}/{D}{labels[i]}", "chain")
            local = [chain] + [(f"{up} * {grouped(text)}", style) for text, style in local]
        lines.append(_equation(head, local + [(short(t.value, precision), "value")], t.note))
    if users > 1 and stop > users:
        lines.append(_equation(lhs, [(total(d, i, users), "num"), value]))
    return lines


def total(d: Derivation, i: int, users: int) -> str:
    """`6 + 1`, `4 + (-2)`; past MOST_TERMS terms the middle ones are counted, not written."""
    if users <= MOST_TERMS:
        return " + ".join(_grouped_number(t.value, d.precision) for t in d.gradient(i).terms)
    terms = d.gradient(i, [*range(MOST_TERMS - 2), users - 1]).terms
    shown = [_grouped_number(t.value, d.precision) for t in terms]
    return " + ".join([*shown[:-1], f"... ({users - MOST_TERMS + 1:,} more)", shown[-1]])


def _grouped_number(value: float, precision: int) -> str:
    text = short(value, precision)
    return f"({text})" if text.startswith("-") else text


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
    order, unreached, out = d.order, d.unreached, d.labels[d.output]
    sizes = [line_count(d, i) for i in order] + [1] * len(unreached)

    def make(k: int, start: int, stop: int) -> list[Line]:
        if k < len(order):
            return gradient_lines(d, order[k], start, stop, D)
        v = d.labels[unreached[k - len(order)]]
        return [_equation(f"{D}{out}/{D}{v}", [("0", "value")], f"{v} does not feed {out}")]

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
