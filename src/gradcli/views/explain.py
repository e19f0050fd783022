"""`explain`'s renderings of one Derivation: plain text, Rich (∂ and colour), markdown, and a dict.

Every rendering is made from the same lines; a line is a list of (text, style) segments. Plain
text writes `dL/da`; on a terminal and in markdown the partial derivatives are written `∂L/∂a`.
"""

from __future__ import annotations

from ..derivation import Derivation, Gradient, grouped, short

Line = list[tuple[str, str]]

STYLES = {"name": "bold", "eq": "dim", "chain": "cyan", "sym": "yellow", "num": "", "value": "bold green"}
STYLES |= {"note": "dim italic", "title": "bold underline"}


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


def forward_lines(d: Derivation, precision: int) -> list[Line]:
    """`e = a*b = 2 * -3 = -6`: the source, the op on labels, the op on values, the value."""
    lines = []
    for f in d.forward:
        parts = [(f.source, "sym"), (f.expr, "sym"), (f.numbers, "num"), (short(f.value, precision), "value")]
        lines.append(_equation(d.labels[f.node], parts))
    return lines


def gradient_lines(d: Derivation, g: Gradient, precision: int, D: str = "d") -> list[Line]:
    """`dL/da = dL/de * de/da = -2 * b = -2 * -3 = 6`; a node with several users: one line per user, then the sum."""
    labels, out = d.labels, d.labels[d.output]
    lhs = f"{D}{out}/{D}{labels[g.node]}"
    value = (short(g.value, precision), "value")
    if not g.terms:
        return [_equation(lhs, [value])]
    lines = []
    for t in g.terms:
        via = labels[t.via]
        head = lhs if len(g.terms) == 1 else f"{lhs} via {via}"
        local = [(t.local, "sym"), (t.numbers, "num"), (short(t.local_value, precision), "num")]
        if t.via != d.output:
            up = short(t.upstream, precision)
            chain = (f"{D}{out}/{D}{via} * {D}{via}/{D}{labels[g.node]}", "chain")
            local = [chain] + [(f"{up} * {grouped(text)}", style) for text, style in local]
        note = f"{t.note}: this value is PyTorch's convention" if t.note else ""
        lines.append(_equation(head, local + [(short(t.value, precision), "value")], note))
    if len(g.terms) > 1:
        lines.append(_equation(lhs, [(total(g.terms, precision), "num"), value]))
    return lines


def total(terms: list, precision: int, most: int = 8) -> str:
    """`6 + 1`, `4 + (-2)`; past `most` terms the middle ones are counted, not written."""
    shown = [grouped_number(t.value, precision) for t in (terms if len(terms) <= most else terms[: most - 2])]
    if len(terms) > most:
        shown += [f"... ({len(terms) - most + 1:,} more)", grouped_number(terms[-1].value, precision)]
    return " + ".join(shown)


def grouped_number(value: float, precision: int) -> str:
    text = short(value, precision)
    return f"({text})" if text.startswith("-") else text


def backward_lines(d: Derivation, precision: int, D: str = "d") -> list[Line]:
    lines = [line for g in d.backward for line in gradient_lines(d, g, precision, D)]
    out = d.labels[d.output]
    for v in d.unreached:
        lines.append(_equation(f"{D}{out}/{D}{d.labels[v]}", [("0", "value")], f"{d.labels[v]} does not feed {out}"))
    return lines


def sections(d: Derivation, precision: int, limit: int, D: str = "d") -> list[tuple[str, list[Line]]]:
    """(title, lines) for the forward and the backward pass, each cut to `limit` lines (0: no limit)."""
    target = "the variables" if d.wrt is None else d.labels[d.wrt]
    backward = f"Backward pass: the chain rule from {d.labels[d.output]} back to {target}"
    return [
        ("Forward pass", bounded(forward_lines(d, precision), limit)),
        (backward, bounded(backward_lines(d, precision, D), limit)),
    ]


def bounded(lines: list[Line], limit: int) -> list[Line]:
    """The first and last lines, with a count of those left out in between."""
    if not lines:
        return [[("(none)", "note")]]
    if not limit or len(lines) <= limit:
        return lines
    tail = limit // 2
    left = len(lines) - limit
    gap = [(f"... {left:,} lines left out (--wrt NAME follows one node, --limit 0 shows every line)", "note")]
    return lines[: limit - tail] + [gap] + (lines[-tail:] if tail else [])


def _plain(line: Line) -> str:
    return "".join(text for text, _ in line)


def explain_text(d: Derivation, precision: int = 4, limit: int = 0) -> str:
    """Plain text for a pipe or a file: ASCII `d`, two-space indented lines under each title."""
    blocks = [
        title + "\n" + "\n".join("  " + _plain(line) for line in lines)
        for title, lines in sections(d, precision, limit)
    ]
    return "\n\n".join(blocks)


def explain_markdown(d: Derivation, precision: int = 4, limit: int = 0) -> str:
    """Markdown for notes: a heading per pass and one inline-code bullet per line, in ∂ notation."""
    blocks = [
        f"### {title}\n\n" + "\n".join(f"- `{_plain(line)}`" for line in lines)
        for title, lines in sections(d, precision, limit, "∂")
    ]  # fmt: skip
    return "\n\n".join(blocks)


def explain_rich(d: Derivation, precision: int = 4, limit: int = 0):
    """The terminal rendering: the same lines in ∂ notation, coloured by role."""
    from rich.console import Group
    from rich.text import Text

    parts = []
    for title, lines in sections(d, precision, limit, "∂"):
        if parts:
            parts.append(Text())
        parts.append(Text(title, style=STYLES["title"]))
        parts += [Text.assemble("  ", *((text, STYLES[style]) for text, style in line)) for line in lines]
    return Group(*parts)


def explain_record(d: Derivation, precision: int = 4) -> dict:
    """The derivation as plain data: every step's parts, its values at full precision and its text."""
    labels = d.labels
    return {
        "output": labels[d.output],
        "wrt": None if d.wrt is None else labels[d.wrt],
        "forward": [
            {"node": labels[f.node], "source": f.source, "expr": f.expr, "numbers": f.numbers, "value": f.value,
             "text": _plain(line)}
            for f, line in zip(d.forward, forward_lines(d, precision), strict=True)
        ],
        "backward": [
            {"node": labels[g.node], "grad": g.value,
             "terms": [
                 {"via": labels[t.via], "upstream": t.upstream, "local": t.local, "numbers": t.numbers,
                  "local_value": t.local_value, "value": t.value, "note": t.note or None}
                 for t in g.terms
             ],
             "lines": [_plain(line) for line in gradient_lines(d, g, precision)]}
            for g in d.backward
        ],
        "unreached": [labels[v] for v in d.unreached],
    }  # fmt: skip
