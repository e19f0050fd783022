"""The one table of operations: forward function, and each local derivative twice: as a float
function and as an expression of gradcli's own language.

Every op is one line of `_table`: everything gradcli says or does about an op is read from its
entry (how it fails, where its kinks are, how explain writes it, its names in micrograd, Python
and PyTorch). The engine, `explain`, `check`, `diff`, the graph renderer, `Value` and `audit` read this
table and never name an op themselves. The table is written once against a small math
namespace `m`, so the same rules serve Python floats (`OPS`) and numpy arrays (`array_ops()`).

Local derivative functions take the argument values and the op's output: `d(x, out)` for one
argument, `d(x, y, out)` for two. The derivative expressions are program text over `x`, `y` (the
arguments) and `out` (the op's value): tanh's is `1 - out**2`. `gradcli.symbolic` parses them (once,
when first needed) to build derivatives as programs; a test checks that each expression and its
float function agree everywhere, kinks and infinite derivatives included.

The walk-through page runs the same table in JavaScript: `js` is each op's forward function there,
and its derivatives (and a kink's `expression`) are printed to JavaScript from the expressions above
(`views/js.py`); a test runs both sides in a browser at the same points.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import NamedTuple


class Kink(NamedTuple):
    """A point where an op's derivative jumps: the value there is PyTorch's convention."""

    side: Callable  # argument values -> a number whose sign says which side of the kink they are on (0: at it)
    why: str  # "relu has a kink at 0"
    expression: str = ""  # the same side as an expression over x and y, for the walk-through page


#: Why an op's result is no float: its value is beyond the largest one.
OVERFLOW = "overflow: the result is too large for a float"


class Op(NamedTuple):
    name: str  # the op's key: "mul", "tanh", ...
    symbol: str  # what the graph and tables show: "*", "tanh"
    arity: int
    forward: Callable
    derivs: tuple  # local derivative per argument, a float function
    derivatives: tuple  # the same per argument, as an expression over x, y and out (the op's value)
    domain: str | Callable = ""  # why the forward function fails; a function of the arguments, or text
    infix: bool = False  # written between its arguments: a * b
    kink: Kink | None = None  # where the derivative jumps, so that its value there is only a convention
    form: str = ""  # how explain writes the op on its arguments; "" means "{x} symbol {y}" or "symbol({x})"
    micrograd: str = ""  # micrograd's name (`Value._op`) if not symbol; {y}: a number exponent
    js: str = ""  # the forward function in JavaScript, on {x} and {y}, for the walk-through page
    python: str = ""  # Python's operator method for it (`truediv`: `__truediv__`), for `Value`'s operators
    torch: object = ""  # PyTorch's function for it if not `name`, or a function of torch and the arguments

    def failure(self, exc: Exception, args) -> str:
        """Why the forward function raised `exc` on `args`: division by zero, overflow, or the op's domain."""
        if isinstance(exc, ZeroDivisionError):
            return "division by zero"
        if isinstance(exc, OverflowError):
            return OVERFLOW
        return self.domain(*args) if callable(self.domain) else self.domain or str(exc)

    @property
    def notation(self) -> str:
        """How explain writes the op on its arguments: `form`, else `{x} * {y}` or `tanh({x})`."""
        if self.form:
            return self.form
        if self.infix:
            return f"{{x}} {self.symbol} {{y}}"
        return f"{self.symbol}({', '.join(['{x}', '{y}'][: self.arity])})"

    def formula(self, k: int) -> str:
        """The derivative in argument k as `explain` writes it: `{x}`, `{y}` for the arguments and the
        op itself for `out` (tanh's `1 - out**2` is `1 - tanh({x})**2`)."""
        text = self.derivatives[k]
        if self.infix:
            call = f"{{x}}{self.symbol}{{y}}"
        else:
            call = self.form or f"{self.symbol}({', '.join(['{x}', '{y}'][: self.arity])})"

        def put(match: re.Match) -> str:
            word = match.group()
            if word != "out":
                return f"{{{word}}}" if word in ("x", "y") else word
            before, after = text[: match.start()].rstrip(), text[match.end() :].lstrip()
            alone = before[-1:] in ("", "(", ",") and after[:1] in ("", ")", ",")
            tight = self.symbol == "**" and "**" not in (before[-2:], after[:2])  # x**y binds tighter than * / + -
            return call if alone or tight or not self.infix else f"({call})"

        return _WORD.sub(put, text)


_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class ScalarMath:
    """Math on Python floats, with numerically stable forms and PyTorch's kink conventions."""

    tanh = staticmethod(math.tanh)
    exp = staticmethod(math.exp)
    log = staticmethod(math.log)
    sqrt = staticmethod(math.sqrt)
    sin = staticmethod(math.sin)
    cos = staticmethod(math.cos)
    tan = staticmethod(math.tan)
    abs = staticmethod(abs)
    maximum = staticmethod(max)
    minimum = staticmethod(min)

    @staticmethod
    def pow(x, y):
        """x**y; a square is x*x, correctly rounded (as PyTorch squares), so that `x**2` and `x*x` agree."""
        return x * x if y == 2.0 else math.pow(x, y)

    @staticmethod
    def sign(x):
        return 1.0 if x > 0 else -1.0 if x < 0 else 0.0

    @staticmethod
    def step(x):
        return 1.0 if x > 0 else 0.0

    @staticmethod
    def log0(x):
        """log(x), and 0 at x == 0: x**y * log0(x) is the exponent's derivative of x**y with PyTorch's 0 at x == 0."""
        return 0.0 if x == 0 else math.log(x)

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
    def tie(x, y):
        """The share of a max/min gradient: 1 to the winner, 1/2 each on a tie."""
        return 1.0 if x > y else 0.5 if x == y else 0.0

    @staticmethod
    def div(x, y):
        """x / y as IEEE arithmetic has it: 1/0 is inf, 0/0 undefined (nan); a derivative never raises."""
        try:
            return x / y
        except ZeroDivisionError:
            return math.nan if x == 0 or math.isnan(x) else math.copysign(math.inf, x) * math.copysign(1.0, y)

    @classmethod
    def dpow(cls, x, y):
        """y * x**(y - 1), the base's derivative of x**y: 0 where y == 0, infinite at x == 0 for y < 1 (PyTorch)."""
        if y == 0:
            return 0.0
        try:
            return y * cls.pow(x, y - 1.0)
        except (ValueError, OverflowError):  # 0 to a negative power, or too large: infinite, as in IEEE
            e = y - 1.0
            odd = e == math.floor(e) and math.fmod(e, 2.0) != 0
            return y * math.copysign(math.inf, x if odd else 1.0)

    @staticmethod
    def dexp(out, x):
        """out * log(x), the exponent's derivative of x**y: 0 where x == 0 (PyTorch), undefined where x < 0."""
        if x > 0:
            return out * math.log(x)
        return 0.0 if x == 0 else math.nan


def _table(m) -> dict[str, Op]:
    ops = [
        # ---- arithmetic ------------------------------------------------------------------
        Op("add", "+", 2, lambda x, y: x + y, (lambda x, y, o: 1.0, lambda x, y, o: 1.0), ("1", "1"), infix=True, python="add", js="{x} + {y}"),
        Op("sub", "-", 2, lambda x, y: x - y, (lambda x, y, o: 1.0, lambda x, y, o: -1.0), ("1", "-1"), infix=True, python="sub", js="{x} - {y}"),
        Op("mul", "*", 2, lambda x, y: x * y, (lambda x, y, o: y, lambda x, y, o: x), ("y", "x"), infix=True, python="mul", js="{x} * {y}"),
        Op("div", "/", 2, lambda x, y: x / y, (lambda x, y, o: 1.0 / y, lambda x, y, o: -o / y), ("1/y", "-out/y"), "division by zero", infix=True, python="truediv", js="{x} / {y}"),
        Op("pow", "**", 2, m.pow, (lambda x, y, o: m.dpow(x, y), lambda x, y, o: m.dexp(o, x)), ("y*x**(y - 1)", "out*log0(x)"), lambda x, y: "a negative number to a fractional power is complex" if x < 0 else "0 to a negative power is infinite", infix=True, micrograd="**{y}", python="pow", js="{y} === 2 ? {x} * {x} : Math.pow({x}, {y})"),
        Op("neg", "-", 1, lambda x: -x, (lambda x, o: -1.0,), ("-1",), form="-{x}", python="neg", js="-{x}"),
        Op("id", "=", 1, lambda x: x, (lambda x, o: 1.0,), ("1",), form="{x}", torch="clone", js="{x}"),
        # ---- functions of one argument -----------------------------------------------------
        Op("tanh", "tanh", 1, m.tanh, (lambda x, o: 1.0 - o * o,), ("1 - out**2",), js="Math.tanh({x})"),
        Op("sigmoid", "sigmoid", 1, m.sigmoid, (lambda x, o: o * (1.0 - o),), ("out*(1 - out)",), js="{x} >= 0 ? 1 / (1 + Math.exp(-{x})) : Math.exp({x}) / (1 + Math.exp({x}))"),
        Op("relu", "relu", 1, m.relu, (lambda x, o: m.step(x),), ("step(x)",), kink=Kink(lambda x: x, "relu has a kink at 0", "x"), micrograd="ReLU", js="{x} > 0 ? {x} : 0"),
        Op("exp", "exp", 1, m.exp, (lambda x, o: o,), ("out",), js="Math.exp({x})"),
        Op("log", "log", 1, m.log, (lambda x, o: 1.0 / x,), ("1/x",), "log needs a positive argument", js="Math.log({x})"),
        Op("sqrt", "sqrt", 1, m.sqrt, (lambda x, o: m.div(0.5, o),), ("1/(2*out)",), "sqrt needs a non-negative argument", js="Math.sqrt({x})"),
        Op("abs", "abs", 1, m.abs, (lambda x, o: m.sign(x),), ("sign(x)",), kink=Kink(lambda x: x, "abs has a kink at 0", "x"), python="abs", js="Math.abs({x})"),
        Op("sin", "sin", 1, m.sin, (lambda x, o: m.cos(x),), ("cos(x)",), js="Math.sin({x})"),
        Op("cos", "cos", 1, m.cos, (lambda x, o: -m.sin(x),), ("-sin(x)",), js="Math.cos({x})"),
        Op("tan", "tan", 1, m.tan, (lambda x, o: 1.0 + o * o,), ("1 + out**2",), js="Math.tan({x})"),
        Op("sign", "sign", 1, m.sign, (lambda x, o: 0.0,), ("0",), kink=Kink(lambda x: x, "sign jumps at 0", "x"), js="{x} > 0 ? 1 : {x} < 0 ? -1 : 0"),
        Op("step", "step", 1, m.step, (lambda x, o: 0.0,), ("0",), kink=Kink(lambda x: x, "step jumps at 0", "x"), torch=lambda torch, x: (x > 0).to(x.dtype), js="{x} > 0 ? 1 : 0"),
        Op("log0", "log0", 1, m.log0, (lambda x, o: m.div(1.0, x),), ("1/x",), "log0 needs a non-negative argument", torch=lambda torch, x: torch.where(x == 0, torch.zeros_like(x), torch.log(x)), js="{x} === 0 ? 0 : Math.log({x})"),
        # ---- functions of two arguments ----------------------------------------------------
        Op("max", "max", 2, m.maximum, (lambda x, y, o: m.tie(x, y), lambda x, y, o: m.tie(y, x)), ("(1 + sign(x - y))/2", "(1 - sign(x - y))/2"), kink=Kink(lambda x, y: x - y, "max has tied arguments", "x - y"), torch="maximum", js="{y} > {x} ? {y} : {x}"),
        Op("min", "min", 2, m.minimum, (lambda x, y, o: m.tie(y, x), lambda x, y, o: m.tie(x, y)), ("(1 - sign(x - y))/2", "(1 + sign(x - y))/2"), kink=Kink(lambda x, y: x - y, "min has tied arguments", "x - y"), torch="minimum", js="{y} < {x} ? {y} : {x}"),
    ]  # fmt: skip
    return {op.name: op for op in ops}


OPS: dict[str, Op] = _table(ScalarMath)

#: The names a program may call, and the op each one means (`pow(x, y)` is `x ** y`).
FUNCTIONS: dict[str, str] = {name: name for name, op in OPS.items() if not op.infix and name not in ("neg", "id")} | {
    "pow": "pow"
}

#: Built-in constants.
CONSTANTS: dict[str, float] = {"pi": math.pi}


def kink_side(op: str, args, table: dict[str, Op] = OPS) -> tuple | None:
    """(which side of its kink the op's arguments are on, its `why`), or None for an op without a kink.

    The side is 0 at the kink and changes sign across it (one per row for numpy arrays). This is
    the one place that reads `Op.kink`.
    """
    entry = table.get(op)
    if entry is None or entry.kink is None:
        return None
    return entry.kink.side(*args), entry.kink.why


def at_kink(op: str, args) -> str:
    """Why the op's derivative at these (float) arguments is only a convention ("" when it is not)."""
    found = kink_side(op, args)
    return found[1] if found is not None and found[0] == 0 else ""


def ieee(name: str, *args: float) -> float:
    """The op on floats, with IEEE arithmetic's inf or nan where its float function raises (`1/0` is inf):
    how a derivative's value is shown where it has none."""
    try:
        return OPS[name].forward(*args)
    except (ArithmeticError, ValueError):
        import numpy as np

        with np.errstate(all="ignore"):
            return float(array_ops()[name].forward(*(np.float64(x) for x in args)))


def array_ops() -> dict[str, Op]:
    """The same table over numpy arrays, for running one graph over a whole batch."""
    import numpy as np

    class ArrayMath:
        tanh, exp, log, sqrt, sin, cos, tan = np.tanh, np.exp, np.log, np.sqrt, np.sin, np.cos, np.tan
        pow, abs, maximum, minimum, div = np.power, np.abs, np.maximum, np.minimum, np.divide

        @staticmethod
        def dpow(x, y):
            return np.where(np.equal(y, 0), 0.0, y * np.power(x, y - 1.0))

        @staticmethod
        def sigmoid(x):
            return 0.5 * (1.0 + np.tanh(0.5 * x))

        @staticmethod
        def relu(x):
            return np.maximum(x, 0.0)

        @staticmethod
        def tie(x, y):
            return np.greater(x, y) + 0.5 * np.equal(x, y)

        @staticmethod
        def dexp(out, x):
            return np.where(x > 0, out * np.log(np.where(x > 0, x, 1.0)), np.where(x == 0, 0.0, np.nan))

        @staticmethod
        def sign(x):
            return np.sign(x) + 0.0

        @staticmethod
        def step(x):
            return np.greater(x, 0.0) + 0.0

        @staticmethod
        def log0(x):
            return np.where(np.equal(x, 0), 0.0, np.log(np.where(np.equal(x, 0), 1.0, x)))

    return _table(ArrayMath)
