"""`gradcli diff`'s output: the derivative program as text (valid gradcli input), or LaTeX; its JSON
record is `records.diff_record`."""

from __future__ import annotations

from ..fmt import finite
from ..formulas import LATEX, Derivative, describe


def diff_text(derivative: Derivative, values: dict[str, float] | None = None) -> str:
    """The program, one statement a line; with values, each derivative's value in a comment beside it."""
    names = {f.name for f in derivative.formulas}
    lines = []
    for name, text in derivative.statements():
        line = f"{name} = {text}"
        if values is not None and name in names:
            line += f"  # {describe(values[name])}"
        lines.append(line + "\n")
    return "".join(lines)


def _partial(derivative: Derivative, wrt: tuple[str, ...]) -> str:
    r"""`\frac{\partial y}{\partial x}`, `\frac{\partial^{2} y}{\partial x \partial z}`."""
    name = LATEX.name
    counts = dict.fromkeys(wrt, 0)
    for v in wrt:
        counts[v] += 1
    below = " ".join(f"\\partial {name(v)}" + (f"^{{{c}}}" if c > 1 else "") for v, c in counts.items())
    order = f"^{{{len(wrt)}}}" if len(wrt) > 1 else ""
    return f"\\frac{{\\partial{order} {name(derivative.label)}}}{{{below}}}"


def diff_latex(derivative: Derivative, values: dict[str, float] | None = None) -> str:
    """The same statements in LaTeX, one equation a line, each derivative as a partial derivative."""
    partials = {f.name: _partial(derivative, f.wrt) for f in derivative.formulas}
    lines = []
    for name, text in derivative.statements(LATEX):
        line = f"{partials.get(name, name)} = {text}"
        if values is not None and name in partials:
            line += f" = {LATEX.number(values[name]) if finite(values[name]) is not None else describe(values[name])}"
        lines.append(line + "\n")
    return "".join(lines)
