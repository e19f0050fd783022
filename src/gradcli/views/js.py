"""The op table in JavaScript, for the walk-through page: generated, never written by hand.

Each op's forward function is its table line's `js` form. Its local derivatives, and the side of a
kink, are the table's own expressions (`Op.derivatives`, `Kink.expression`), parsed by gradcli's
grammar and printed here to JavaScript, an op inside them by its own `js` form. So the page runs
exactly the table, and an op added to the table reaches the page with no code here.
"""

from __future__ import annotations

from functools import lru_cache

from ..ops import OPS
from ..symbolic import Template, templates


def _filled(form: str, args: tuple[str, ...]) -> str:
    """An op's `js` form with its arguments (each already an atom or in brackets) put in."""
    return form.replace("{x}", args[0]).replace("{y}", args[1] if len(args) > 1 else "")


def _literal(value: float) -> str:
    text = repr(float(value))  # `2.0`, `0.5`, `1e-07`: JavaScript reads Python's float literals
    return f"({text})" if value < 0 else text


#: The one rule of derivative expressions that is not IEEE arithmetic: an exact 0 times an infinite
#: factor is 0, not undefined (PyTorch's convention: x**y's derivative in x at 0**0, `y*x**(y - 1)`,
#: is 0*inf, and 0).
TIMES = (
    "const times = (a, b) => "
    "(a === 0 && Math.abs(b) === Infinity) || (b === 0 && Math.abs(a) === Infinity) ? 0 : a * b;"
)


def javascript(template: Template) -> str:
    """An expression over x, y and out in JavaScript: every op in brackets, so no precedence can go wrong."""

    def make(op: str, *args: str) -> str:
        return f"times({args[0]}, {args[1]})" if op == "mul" else f"({_filled(OPS[op].js, args)})"

    return template.apply(make, _literal, {"x": "x", "y": "y", "out": "out"})


@lru_cache(maxsize=1)
def ops_script() -> str:
    """`const OPS = {...}`: per op `f(x[, y])`, `d: [d/dx(x[, y], out), ...]` and, with a kink, `side(x[, y])`."""
    from ..parser import parse

    entries = []
    for name, op in OPS.items():
        params = "x" if op.arity == 1 else "x, y"
        derivatives = ", ".join(f"({params}, out) => {javascript(t)}" for t in templates()[name])
        entry = f"f: ({params}) => {_filled(op.js, ('x', 'y'))}, d: [{derivatives}]"
        if op.kink is not None:
            side = Template(op.kink.expression, parse(op.kink.expression))
            entry += f", side: ({params}) => {javascript(side)}"
        entries.append(f"  {name}: {{ {entry} }},")
    return TIMES + "\nconst OPS = {\n" + "\n".join(entries) + "\n};"
