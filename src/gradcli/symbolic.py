"""Derivatives as programs, built from the op table's derivative expressions.

Each op's local derivatives are written in gradcli's own language (`Op.derivatives`, over `x`,
`y` and the op's value `out`); they are parsed once, by the same grammar as any program, into
`Template`s when first needed, so that start-up does not pay for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from .graph import Graph
from .ops import OPS

# ---- the op table's derivative expressions, parsed once --------------------------------------------


@dataclass(frozen=True)
class Template:
    """One local derivative, parsed: the nodes of its expression over the slots x, y and out."""

    text: str
    graph: Graph  # the parsed expression; its variables are among x, y, out

    def apply(self, make, const, slots: dict):
        """The derivative built by `make(op, *args)` and `const(number)`, each slot (x, y, out) given."""
        ids = []
        for node in self.graph.nodes:
            if node.op == "var":
                ids.append(slots[node.name])
            elif node.op == "const":
                ids.append(const(node.value))
            else:
                ids.append(make(node.op, *(ids[a] for a in node.args)))
        return ids[self.graph.output]


@lru_cache(maxsize=1)
def templates() -> dict[str, tuple[Template, ...]]:
    """Every op's derivative expressions, parsed by the grammar (once, on first use)."""
    from .parser import parse

    return {name: tuple(Template(text, parse(text)) for text in op.derivatives) for name, op in OPS.items()}
