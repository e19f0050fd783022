"""Expression nodes written out: as a gradcli program (text gradcli reads back), or as LaTeX.

Model: sympy's `StrPrinter` and `LatexPrinter`, which put brackets by precedence only where they
are needed. The program form writes exactly the tree it is given (`a - (b - c)` keeps its
brackets, `a*b*c` is `(a*b)*c`), so that reading it back computes the same floats; it differs
only where that is exact (`-(a*b)` is written `-a*b`, and a number whose decimals recur as the
fraction gradcli divides to the same float: `2/3`, not `0.6666666666666666`).

`Layout` decides which nodes become statements of their own: each formula asked for (its name
given), every node used more than once (named as the program named it, else `t1`, `t2`, ...),
and any node whose text would pass `WIDTH` characters. So the text is linear in the number of
nodes, whatever their depth, and every line stays short. All of it is loops, no recursion.
"""

from __future__ import annotations

import math
import re

from .symbolic import Expr

WIDTH = 100  # a formula longer than this is cut into named parts

SUM, PRODUCT, UNARY, POWER, ATOM = 1, 2, 3, 4, 5
PRECEDENCE = {"add": SUM, "sub": SUM, "mul": PRODUCT, "div": PRODUCT, "neg": UNARY, "pow": POWER}
SYMBOLS = {"add": " + ", "sub": " - ", "mul": "*", "div": "/", "pow": "**"}


def number(value: float) -> str:
    """A number as a program writes it: `2`, `-0.5`, `1e-05`, `pi`."""
    if value == math.pi:
        return "pi"
    if value.is_integer() and abs(value) < 1e6:
        return str(int(value))
    text = repr(value)
    if text.endswith(".0"):  # 10000000000.0 -> 1e+10
        mantissa, _, exponent = f"{value:.16e}".partition("e")
        text = f"{mantissa.rstrip('0').rstrip('.')}e{exponent[0]}{int(exponent[1:])}"
        if float(text) != value:
            text = repr(value)
    return text


def fraction(value: float) -> tuple[int, int] | None:
    """(p, q) when `value` is the float nearest p/q for a small q and its decimals recur (`2/3`, not
    `0.5`): gradcli computes p/q as the same float, and a reader sees what the number is."""
    if not math.isfinite(value) or value.is_integer() or len(repr(value)) <= 8:
        return None
    for q in range(3, 100):
        p = round(value * q)
        if p / q == value and abs(p) < 10**6:
            return p, q
    return None


class Layout:
    """Which nodes of `expr` are written as statements, and under what names.

    `roots` are (name, node) pairs, the formulas asked for, written last and in their order;
    `taken` are names the program may not use for its parts (its variables, the roots' names).
    """

    def __init__(self, expr: Expr, roots: list[tuple[str, int]], taken=()):
        self.expr, self.roots = expr, roots
        ops, args = expr.ops, expr.args
        reach = expr.reached(node for _, node in roots)
        uses = [0] * len(expr)
        for i in range(len(expr)):
            if reach[i]:
                for a in args[i]:
                    uses[a] += 1
        self.order = [i for i in range(len(expr)) if reach[i]]
        root_of = {}
        for name, node in roots:
            root_of.setdefault(node, name)
        self.root_of = root_of
        # A part of its own: used twice (or a root used inside another formula), or too long to inline.
        self.parts: dict[int, str] = {}
        used = set(taken) | {name for name, _ in roots} | set(expr.values[i] for i in self.order if ops[i] == "var")
        fresh = _fresh(used)
        text_length = [0] * len(expr)
        for i in self.order:
            if not args[i]:
                value = expr.values[i]
                text_length[i] = len(str(value)) if ops[i] == "var" else len(TEXT.constant(value)[0])
                continue
            shared = uses[i] >= 2 or (i in root_of and uses[i] >= 1)
            length = 4 + len(ops[i]) + sum(text_length[a] for a in args[i])
            if shared or length > WIDTH:
                name = expr.names.get(i)
                if name is None or name in used:
                    name = next(fresh)
                used.add(name)
                self.parts[i] = name
                length = len(name)
            text_length[i] = length

    def statements(self, style: Style) -> list[tuple[str, str]]:
        """(name, formula) for every part, then every root, written in `style`."""
        expr = self.expr
        texts: list = [None] * len(expr)  # node -> (its text in a formula, its precedence)
        lines = []
        for i in self.order:
            texts[i] = style.node(expr, i, texts)
            if i in self.parts:
                lines.append((style.name(self.parts[i]), texts[i][0]))
                texts[i] = (style.name(self.parts[i]), ATOM)
        for name, node in self.roots:
            lines.append((name, texts[node][0]))
        return lines


def _fresh(used: set[str]):
    """t1, t2, ... skipping the names in `used`."""
    k = 0
    while True:
        k += 1
        if f"t{k}" not in used:
            yield f"t{k}"


class Style:
    """How the program form writes a node from its arguments' texts."""

    def name(self, name: str) -> str:
        return name

    def node(self, expr: Expr, i: int, texts: list) -> tuple[str, int]:
        op, args = expr.ops[i], expr.args[i]
        if op == "var":
            return self.name(expr.values[i]), ATOM
        if op == "const":
            return self.constant(expr.values[i])
        parts = [texts[a] for a in args]
        precedence = PRECEDENCE.get(op)
        if precedence is None:
            return self.call(op, [text for text, _ in parts]), ATOM
        if op == "neg":
            ((text, inner),) = parts
            # `-a*b` reads back as the product (-a)*b (the same float as -(a*b)): it binds as a product,
            # so `c*-(a*b)` is written `c*(-a*b)`, never `c*-a*b`, which is (c*-a)*b
            return self.negate(text, inner), PRODUCT if inner == PRODUCT else UNARY
        (left, lp), (right, rp) = parts
        if op == "pow":
            return self.power(self.group(left, lp < ATOM), self.group(right, rp < UNARY, exponent=True)), POWER
        left = self.group(left, lp < precedence)
        right = self.group(right, rp <= precedence)
        return self.binary(op, left, right, lp, rp), precedence

    def number(self, value: float) -> str:
        return number(value)

    def constant(self, value: float) -> tuple[str, int]:
        """A number in a formula, and how it binds: `2`, `-0.5` (a sign), `2/3` (a quotient)."""
        ratio = fraction(value)
        if ratio is not None:
            return f"{ratio[0]}/{ratio[1]}", PRODUCT
        return self.number(value), UNARY if value < 0 else ATOM

    def call(self, op: str, args: list[str]) -> str:
        return f"{op}({', '.join(args)})"

    def negate(self, text: str, inner: int) -> str:
        # -(a*b) is written -a*b: (-a)*b is the same float; a sum keeps its brackets
        return f"-({text})" if inner < PRODUCT or inner == UNARY else f"-{text}"

    def group(self, text: str, needed: bool, exponent: bool = False) -> str:
        return f"({text})" if needed else text

    def power(self, base: str, exponent: str) -> str:
        return f"{base}**{exponent}"

    def binary(self, op: str, left: str, right: str, lp: int, rp: int) -> str:
        return f"{left}{SYMBOLS[op]}{right}"


LATEX_FUNCTIONS = {
    "sin": r"\sin", "cos": r"\cos", "tan": r"\tan", "tanh": r"\tanh", "log": r"\log", "max": r"\max",
    "min": r"\min", "sigmoid": r"\sigma",
}  # fmt: skip
_SUBSCRIPT = re.compile(r"([A-Za-z]+?)_?(\d+)$|([A-Za-z]+)_(\w+)$")
GREEK = {
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda", "mu",
    "nu", "xi", "pi", "rho", "sigma", "tau", "phi", "chi", "psi", "omega",
}  # fmt: skip


class LatexStyle(Style):
    """The same nodes in LaTeX, as sympy's `latex()` writes them: `2 x \\sin{\\left(x \\right)}`."""

    def name(self, name: str) -> str:
        match = _SUBSCRIPT.match(name)
        if match:
            head, sub = (match.group(1), match.group(2)) if match.group(1) else (match.group(3), match.group(4))
            return self.name(head) + "_{" + sub.replace("_", "\\_") + "}"
        if name in GREEK:
            return "\\" + name
        return name.replace("_", r"\_") if len(name) == 1 else r"\mathrm{" + name.replace("_", r"\_") + "}"

    def number(self, value: float) -> str:
        if value == math.pi:
            return r"\pi"
        text = number(value)
        if "e" in text:
            mantissa, _, exponent = text.partition("e")
            return f"{mantissa} \\cdot 10^{{{int(exponent)}}}"
        return text

    def constant(self, value: float) -> tuple[str, int]:
        ratio = fraction(value)
        if ratio is not None:
            text = f"\\frac{{{abs(ratio[0])}}}{{{ratio[1]}}}"
            return (f"- {text}", UNARY) if ratio[0] < 0 else (text, ATOM)
        return super().constant(value)

    def call(self, op: str, args: list[str]) -> str:
        if op == "sqrt":
            return f"\\sqrt{{{args[0]}}}"
        if op == "exp":
            return f"e^{{{args[0]}}}"
        if op == "abs":
            return f"\\left|{{{args[0]}}}\\right|"
        function = LATEX_FUNCTIONS.get(op, f"\\operatorname{{{op}}}")
        return f"{function}{{\\left({', '.join(args)} \\right)}}"

    def negate(self, text: str, inner: int) -> str:
        return f"- \\left({text}\\right)" if inner < PRODUCT or inner == UNARY else f"- {text}"

    def group(self, text: str, needed: bool, exponent: bool = False) -> str:
        if exponent:
            return text  # an exponent is set in braces: it needs no brackets
        return f"\\left({text}\\right)" if needed else text

    def power(self, base: str, exponent: str) -> str:
        return f"{base}^{{{exponent}}}"

    def node(self, expr: Expr, i: int, texts: list) -> tuple[str, int]:
        op = expr.ops[i]
        if op == "div":  # a fraction needs no brackets inside
            (top, _), (bottom, _) = (texts[a] for a in expr.args[i])
            return f"\\frac{{{top}}}{{{bottom}}}", ATOM
        if op == "mul":  # a product reads the same however it is grouped: brackets for sums and signs only
            (left, lp), (right, rp) = (texts[a] for a in expr.args[i])
            left = self.group(left, lp < PRODUCT)
            right = self.group(right, rp < PRODUCT or rp == UNARY or right.startswith("-"))
            return self.binary(op, left, right, lp, rp), PRODUCT
        return super().node(expr, i, texts)

    def binary(self, op: str, left: str, right: str, lp: int, rp: int) -> str:
        if op != "mul":
            return f"{left}{SYMBOLS[op]}{right}"
        if right[:1].isdigit() or right.startswith("-"):
            return f"{left} \\cdot {right}"
        return f"{left} {right}"


TEXT, LATEX = Style(), LatexStyle()
