"""The bugs learners' micrograd classes have again and again, recognised from a failing case.

Each detector looks at one failing case (the program, gradcli's expected results, the child's
answer and the differences) and returns a one-line diagnosis, or None when the pattern is not
there. `diagnose` tries them in order and returns the first that fits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import DomainError
from ..fmt import digits
from ..ops import OPS
from .cases import DUNDERS, Expected, Program, close, expect


@dataclass
class Failing:
    """A failing case and what is known around it."""

    kind: str  # "op", "reversed", "fan-out", "diamond", "diamond through", "chain", "twice", "zero_grad", "random"
    op: str  # the op the check is about (its op-table name, or a method name); "" for properties
    program: Program
    expected: Expected
    answer: dict
    differences: list  # (what, expected, got)
    cls: str
    dunder: str = ""  # the operator's dunder name without underscores: "mul", "truediv"
    overwritten: bool = False  # an earlier fan-out check found gradients overwritten

    @property
    def expression(self) -> str:
        """The output's expression as the learner writes it: `2 * a`."""
        return self.program.python(self.cls).rpartition("out = ")[2]

    def grads(self):
        return [(what, want, got) for what, want, got in self.differences if what != "out"]


def diagnose(case: Failing) -> str | None:
    for detector in DETECTORS:
        found = detector(case)
        if found:
            return found
    return None


def _missing_reverse(c: Failing) -> str | None:
    """`2 * a` without __rmul__: Python's TypeError, at once or inside another reversed operator."""
    a = c.answer
    if c.kind != "reversed" or a.get("ok") or a.get("phase") != "build":
        return None
    if a.get("error") == "RecursionError":
        symbol = OPS[c.op].symbol
        return (
            f"__r{c.dunder}__ calls itself: with a number on the left, other {symbol} self comes back to"
            f" __r{c.dunder}__; write {c.cls}(other) {symbol} self"
        )
    found = _UNSUPPORTED.search(a.get("message", "")) if a.get("error") == "TypeError" else None
    if found is None:
        return None
    symbol = found[1].split(" or ")[0]
    dunder = next((d for op, d in DUNDERS.items() if OPS[op].symbol == symbol), c.dunder)
    if not a.get("where"):
        return (
            f"missing __r{dunder}__: {c.expression} raises TypeError while a {symbol} 2 works"
            f" (define __r{dunder}__ for a number on the left)"
        )
    inside = f"which raises TypeError in {a['where']}"
    return f"missing __r{dunder}__: {c.expression} needs a number {symbol} {c.cls}, {inside}"


_UNSUPPORTED = re.compile(r"unsupported operand type\(s\) for (.+?): '(?:int|float)' and '")


def _swapped(c: Failing) -> str | None:
    """`2 - a` computed as `a - 2`: the reversed operator's operands the wrong way round."""
    if c.kind != "reversed" or not any(what == "out" for what, *_ in c.differences):
        return None
    swapped = Program(list(c.program.nodes), dict(c.program.names))
    op, x, y = swapped.nodes[-1]
    swapped.nodes[-1] = [op, y, x]
    try:
        other = expect(swapped)
    except DomainError:
        return None
    if not close(c.answer["value"], other.value, other.value_scale):
        return None
    symbol = OPS[c.op].symbol
    return (
        f"{c.expression} is computed as {swapped.python(c.cls).rpartition('out = ')[2]}:"
        f" __r{c.dunder}__ must compute other {symbol} self, not self {symbol} other"
    )


def _wrong_value(c: Failing) -> str | None:
    for what, want, got in c.differences:
        if what == "out":
            return f"the value itself is wrong: {c.expression} gives {digits(got)}, expected {digits(want)}"
    return None


def _overwritten(c: Failing) -> str | None:
    """`self.grad = ...` instead of `+=`: a value used twice keeps only one use's gradient."""
    if c.kind == "fan-out":
        for what, want, got in c.grads():
            if want and close(got, want / 2, c.expected.grad_scale):
                return (
                    f"gradient is overwritten, not accumulated: {c.expression} gives {what} = {digits(got)},"
                    f" expected {digits(want)} (use +=)"
                )
    elif c.overwritten and c.kind in ("diamond", "diamond through", "chain", "random"):
        return "gradient is overwritten, not accumulated, as the fan-out checks show (use += in every _backward)"
    return None


def _visited_twice(c: Failing) -> str | None:
    """A topological order without a visited set lists a value once per path to it."""
    if c.kind != "diamond through":
        return None
    if any(abs(got) > abs(want) for _, want, got in c.grads()):
        return (
            "a value reached by two paths is processed twice: the topological order lists it once per path"
            " (keep a set of visited values in build_topo, so that each _backward runs once)"
        )
    return None


def _x_for_out(c: Failing) -> str | None:
    """tanh's derivative written `1 - x**2` where it is `1 - out**2`: the input used for the output."""
    op = OPS.get(c.op)
    if c.kind != "op" or op is None or op.arity != 1 or not c.grads():
        return None
    call = f"{op.symbol}({{x}})"
    formula = op.formula(0)
    if call not in formula:
        return None
    x = c.program.nodes[0][1]
    _, want, got = c.grads()[0]
    wrong = op.derivs[0](x, x)
    if close(wrong, want, c.expected.grad_scale) or not close(got, wrong, c.expected.grad_scale):
        return None
    right = formula.replace(call, "out")
    return (
        f"{formula.replace(call, 'x')} used instead of {right}:"
        f" the derivative of {op.symbol}(x) is {formula.format(x='x')}, with out = {op.symbol}(x)"
    )


def _sign(c: Failing) -> str | None:
    for what, want, got in c.grads():
        if not want or not close(got, -want, c.expected.grad_scale):
            continue
        *_, last = c.program.nodes
        divisor = c.program.names.get(last[2]) if len(last) == 3 else None
        if c.op == "div" and what == f"{divisor}.grad":
            return (
                f"{what} has the wrong sign: d(x/y)/dy is -x/y**2"
                " (with __truediv__ as self * other**-1, look at the derivative in __pow__ for a negative exponent)"
            )
        if c.op == "pow":
            return f"{what} has the wrong sign: the derivative of x**k is k * x**(k - 1)"
        return f"{what} has the wrong sign"
    return None


def _no_gradient(c: Failing) -> str | None:
    for what, want, got in c.grads():
        if got == 0 and want:
            return f"no gradient reaches {what.partition('.')[0]}: the op's _backward is never set, or never called"
    return None


DETECTORS = [_missing_reverse, _swapped, _wrong_value, _overwritten, _visited_twice, _x_for_out, _sign, _no_gradient]
