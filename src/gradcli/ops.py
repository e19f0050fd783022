"""The one table of operations: forward function, local derivatives and their formula text.

Every op is one line of `_table`. The engine, `explain`, `check` and the graph renderer all read
this table and never name an op themselves. The table is written once against a small math
namespace `m`, so the same rules serve Python floats (`OPS`) and numpy arrays (`array_ops()`).

Local derivative functions take the argument values and the op's output: `d(x, out)` for one
argument, `d(x, y, out)` for two. Formula text uses `{x}`, `{y}` for the arguments.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple


class Op(NamedTuple):
    name: str  # the op's key: "mul", "tanh", ...
    symbol: str  # what the graph and tables show: "*", "tanh"
    arity: int
    forward: Callable
    derivs: tuple  # local derivative per argument
    formulas: tuple  # formula text per argument, for explain
    domain: str | Callable = ""  # why the forward function fails; a function of the arguments, or text
    infix: bool = False  # written between its arguments: a * b
    kink: Callable | None = None  # argument values -> why the derivative there is only a convention
    edge: Callable | None = None  # argument values -> a number that is 0 at the kink and changes sign across it
    form: str = ""  # how explain writes the op on its arguments; "" means "{x} symbol {y}" or "symbol({x})"


class ScalarMath:
    """Math on Python floats, with numerically stable forms and PyTorch's kink conventions."""

    tanh = staticmethod(math.tanh)
    exp = staticmethod(math.exp)
    log = staticmethod(math.log)
    sqrt = staticmethod(math.sqrt)
    sin = staticmethod(math.sin)
    cos = staticmethod(math.cos)
    tan = staticmethod(math.tan)
    pow = staticmethod(math.pow)
    abs = staticmethod(abs)
    maximum = staticmethod(max)
    minimum = staticmethod(min)

    @staticmethod
    def sigmoid(x):
        if x >= 0:
            return 1.0 / (1.0 + math.exp(-x))
        z = math.exp(x)
        return z / (1.0 + z)

    @staticmethod
    def relu(x):
        return x if x > 0 else 0.0

    @staticmethod
    def gt(x, y):
        return 1.0 if x > y else 0.0

    @staticmethod
    def tie(x, y):
        """The share of a max/min gradient: 1 to the winner, 1/2 each on a tie."""
        return 1.0 if x > y else 0.5 if x == y else 0.0

    @staticmethod
    def xlogy(out, x):
        """out * log(x), the exponent's derivative of x**y; 0 where x == 0 (PyTorch)."""
        return out * math.log(x) if x != 0 else 0.0


def kink_at(edge: Callable, why: str) -> dict:
    """An op's kink, described once by its edge: `kink` says why where the edge is 0 (floats);
    `edge` itself serves arrays, where a sign change between samples marks a kink between them."""
    return {"kink": lambda *args: edge(*args) == 0 and why, "edge": edge}


def _table(m) -> dict[str, Op]:
    ops = [
        # ---- arithmetic ------------------------------------------------------------------
        Op("add", "+", 2, lambda x, y: x + y, (lambda x, y, o: 1.0, lambda x, y, o: 1.0), ("1", "1"), infix=True),
        Op("sub", "-", 2, lambda x, y: x - y, (lambda x, y, o: 1.0, lambda x, y, o: -1.0), ("1", "-1"), infix=True),
        Op("mul", "*", 2, lambda x, y: x * y, (lambda x, y, o: y, lambda x, y, o: x), ("{y}", "{x}"), infix=True),
        Op("div", "/", 2, lambda x, y: x / y, (lambda x, y, o: 1.0 / y, lambda x, y, o: -o / y), ("1/{y}", "-{x}/{y}**2"), "division by zero", infix=True),
        Op("pow", "**", 2, m.pow, (lambda x, y, o: y * m.pow(x, y - 1.0), lambda x, y, o: m.xlogy(o, x)), ("{y}*{x}**({y} - 1)", "{x}**{y}*log({x})"), lambda x, y: "a negative number to a fractional power is complex" if x < 0 else "0 to a negative power is infinite", infix=True),
        Op("neg", "-", 1, lambda x: -x, (lambda x, o: -1.0,), ("-1",), form="-{x}"),
        Op("id", "=", 1, lambda x: x, (lambda x, o: 1.0,), ("1",), form="{x}"),
        # ---- functions of one argument -----------------------------------------------------
        Op("tanh", "tanh", 1, m.tanh, (lambda x, o: 1.0 - o * o,), ("1 - tanh({x})**2",)),
        Op("sigmoid", "sigmoid", 1, m.sigmoid, (lambda x, o: o * (1.0 - o),), ("sigmoid({x})*(1 - sigmoid({x}))",)),
        Op("relu", "relu", 1, m.relu, (lambda x, o: m.gt(x, 0.0),), ("1 if {x} > 0 else 0",), **kink_at(lambda x: x, "relu has a kink at 0")),
        Op("exp", "exp", 1, m.exp, (lambda x, o: o,), ("exp({x})",)),
        Op("log", "log", 1, m.log, (lambda x, o: 1.0 / x,), ("1/{x}",), "log needs a positive argument"),
        Op("sqrt", "sqrt", 1, m.sqrt, (lambda x, o: 0.5 / o,), ("1/(2*sqrt({x}))",), "sqrt needs a non-negative argument"),
        Op("abs", "abs", 1, m.abs, (lambda x, o: m.gt(x, 0.0) - m.gt(0.0, x),), ("sign({x})",), **kink_at(lambda x: x, "abs has a kink at 0")),
        Op("sin", "sin", 1, m.sin, (lambda x, o: m.cos(x),), ("cos({x})",)),
        Op("cos", "cos", 1, m.cos, (lambda x, o: -m.sin(x),), ("-sin({x})",)),
        Op("tan", "tan", 1, m.tan, (lambda x, o: 1.0 + o * o,), ("1 + tan({x})**2",)),
        # ---- functions of two arguments ----------------------------------------------------
        Op("max", "max", 2, m.maximum, (lambda x, y, o: m.tie(x, y), lambda x, y, o: m.tie(y, x)), ("1 if {x} > {y}, 1/2 if equal, else 0", "1 if {y} > {x}, 1/2 if equal, else 0"), **kink_at(lambda x, y: x - y, "max has tied arguments")),
        Op("min", "min", 2, m.minimum, (lambda x, y, o: m.tie(y, x), lambda x, y, o: m.tie(x, y)), ("1 if {x} < {y}, 1/2 if equal, else 0", "1 if {y} < {x}, 1/2 if equal, else 0"), **kink_at(lambda x, y: x - y, "min has tied arguments")),
    ]  # fmt: skip
    return {op.name: op for op in ops}


OPS: dict[str, Op] = _table(ScalarMath)

#: The names a program may call, and the op each one means (`pow(x, y)` is `x ** y`).
FUNCTIONS: dict[str, str] = {name: name for name, op in OPS.items() if not op.infix and name not in ("neg", "id")} | {
    "pow": "pow"
}

#: Built-in constants.
CONSTANTS: dict[str, float] = {"pi": math.pi}


def array_ops() -> dict[str, Op]:
    """The same table over numpy arrays, for running one graph over a whole batch."""
    import numpy as np

    class ArrayMath:
        tanh, exp, log, sqrt, sin, cos, tan = np.tanh, np.exp, np.log, np.sqrt, np.sin, np.cos, np.tan
        pow, abs, maximum, minimum = np.power, np.abs, np.maximum, np.minimum

        @staticmethod
        def sigmoid(x):
            return 0.5 * (1.0 + np.tanh(0.5 * x))

        @staticmethod
        def relu(x):
            return np.maximum(x, 0.0)

        @staticmethod
        def gt(x, y):
            return np.greater(x, y).astype(float)

        @staticmethod
        def tie(x, y):
            return np.greater(x, y) + 0.5 * np.equal(x, y)

        @staticmethod
        def xlogy(out, x):
            return np.where(x != 0, out * np.log(np.where(x != 0, x, 1.0)), 0.0)

    return _table(ArrayMath)
