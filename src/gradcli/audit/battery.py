"""The checks of `gradcli audit`, each run in the child and judged against gradcli's engine.

Operator and method checks come first: each runs its cases (several points: negative, zero,
fractional, large; each operand side) and stops at the first that disagrees. What the class does
not define, or refuses in the way micrograd refuses `a ** b` (TypeError, AssertionError...), is
"not supported", never a failure. Then the properties: fan-out and diamonds, deep chains,
backward() twice, zero_grad(), random programs, and the nn module's MLP.

Limits that micrograd itself has (recursion depth, compounding on a second backward()) are notes
on an ok row, so that a faithful copy of micrograd passes; wrong numbers are failures.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache

from ..fmt import digits
from ..ops import FUNCTIONS, OPS
from .cases import DUNDERS, Expected, Program, close, differences, expect, judged, listing
from .child import MEMORY, Child
from .diagnose import Failing, diagnose
from .randomized import Stop, fair, search

OK, FAIL, UNSUPPORTED = "ok", "FAIL", "not supported"

#: Errors that mean "this form is not supported" when building a form with a number or a Value exponent.
REFUSALS = ("TypeError", "AttributeError", "AssertionError", "NotImplementedError")

PAIRS = [(2.0, -3.0), (0.0, 1.5), (0.5, 0.25), (-1e6, 3.5)]  # a op b: negative, zero, fractional, large
RIGHT = [(3.0, 2), (-1.5, 0.5), (0.0, -4), (1e6, 3)]  # (a, k): a op k
LEFT = [(3.0, 2), (-1.5, 0.5), (0.5, 0), (1e6, -4)]  # (a, k): k op a
NEGATIONS = [-3.0, 0.0, 0.5, 1e6]
POWERS = [(3.0, 2), (0.5, -1), (-1.5, 3), (0.0, 2), (4.0, 0.5), (1e3, 2), (-2.0, -1)]  # (a, k): a ** k
VALUE_POWERS = [(2.0, 3.0), (0.5, -1.5), (3.0, 0.0), (1e3, 0.5)]  # a ** b, a > 0
BASES = [(3.0, 2), (-1.5, 0.5), (0.0, 10), (20.0, 3)]  # (a, k): k ** a
POINTS = [0.5, -2.0, 0.0, 3.0, 20.0]  # methods; a point outside gradcli's domain or at a kink is left out

CHAIN = (0.5, 1.0001, 0.01)  # a, w, c
CHAIN_LEAVES = "a = {cls}(0.5); w = {cls}(1.0001); c = {cls}(0.01)"
MLP_SIZES, MLP_INPUT = (3, [4, 4, 1]), [2.0, 3.0, -1.0]


@dataclass
class Row:
    """One line of the report card: a check, its status and, for a failure, the evidence."""

    check: str
    status: str  # ok | FAIL | not supported
    program: str | None = None
    expected: str | None = None
    got: str | None = None  # for "not supported": why
    diagnosis: str | None = None  # for an ok row: a note


@dataclass
class Check:
    """An operator or method check: its cases, and what the class must have for it."""

    name: str  # "a * 2"
    op: str  # the op-table name (or method name) it exercises
    kind: str  # "op" or "reversed"
    cases: list[Program]
    attribute: str = ""  # what the class must define ("" for reversed forms: running the case tells)
    optional: bool = False  # a refusal while building means "not supported"
    needs: tuple = ()  # checks that must be supported first
    dunder: str = ""
    form: tuple = ()  # how random programs use it


def unary(op: str, x: float) -> Program:
    p = Program()
    p.op(op, p.leaf(x))
    return p


def binary(op: str, x: float, y: float) -> Program:
    p = Program()
    a, b = p.leaf(x), p.leaf(y)
    p.op(op, a, b)
    return p


def right(op: str, x: float, k: float) -> Program:
    p = Program()
    a = p.leaf(x)
    p.op(op, a, p.num(k))
    return p


def left(op: str, x: float, k: float) -> Program:
    p = Program()
    a = p.leaf(x)
    p.op(op, p.num(k), a)
    return p


#: Functions gradcli has so that derivatives can be written as programs (`abs' = sign(x)`), not micrograd's.
DERIVATIVE_HELPERS = ("sign", "step", "log0")


def operator_checks() -> Iterator[Check]:
    for op in ("add", "sub", "mul", "div"):
        s, dunder = OPS[op].symbol, DUNDERS[op]
        yield Check(f"a {s} b", op, "op", [binary(op, *p) for p in PAIRS], f"__{dunder}__", form=("value", op))
        yield Check(
            f"a {s} 2", op, "op", [right(op, *p) for p in RIGHT], f"__{dunder}__", optional=True, form=("right", op)
        )
        yield Check(
            f"2 {s} a", op, "reversed", [left(op, *p) for p in LEFT],
            needs=(f"a {s} b", f"a {s} 2"), dunder=dunder, form=("left", op),
        )  # fmt: skip
    yield Check("-a", "neg", "op", [unary("neg", x) for x in NEGATIONS], "__neg__", form=("unary", "neg"))
    yield Check("a ** 2", "pow", "op", [right("pow", *p) for p in POWERS], "__pow__", True, form=("right", "pow"))
    yield Check(
        "a ** b", "pow", "op", [binary("pow", *p) for p in VALUE_POWERS], "__pow__", True, form=("value", "pow")
    )
    yield Check(
        "2 ** a", "pow", "reversed", [left("pow", *p) for p in BASES],
        needs=("a ** b", "a ** 2"), dunder="pow", form=("left", "pow"),
    )  # fmt: skip
    for name in FUNCTIONS:
        if OPS[name].arity == 1 and name not in DERIVATIVE_HELPERS:
            yield Check(f"a.{name}()", name, "op", [unary(name, x) for x in POINTS], name, form=("unary", name))


def fan_out(op: str, x: float) -> Program:
    p = Program()
    a = p.leaf(x)
    p.op(op, a, a)
    return p


def diamond(x: float) -> Program:
    """b = a * a; out = b + a: a reaches the output directly and through b."""
    p = Program()
    a = p.leaf(x)
    p.op("add", p.op("mul", a, a, called="b"), a)
    return p


def diamond_through(x: float, y: float) -> Program:
    """x = a * b; y = x + a; out = x * y: the intermediate x reaches the output by two paths."""
    p = Program()
    a, b = p.leaf(x), p.leaf(y)
    v = p.op("mul", a, b, called="x")
    p.op("mul", v, p.op("add", v, a, called="y"))
    return p


def seed_example() -> Program:
    """micrograd's first example: e = a * b; d = e + c; L = d * f."""
    p = Program()
    a, b, c, f = p.leaf(2.0), p.leaf(-3.0), p.leaf(10.0), p.leaf(-2.0, called="f")
    p.op("mul", p.op("add", p.op("mul", a, b, called="e"), c, called="d"), f, called="L")
    return p


def chain(steps: int) -> Program:
    """x = a, then x = x * w + c, `steps` times: 2 * steps + 1 values deep, and w and c used `steps` times."""
    p = Program(title=f"{CHAIN_LEAVES}; x = a; then x = x * w + c, {steps:,} times")
    x, w, c = p.leaf(CHAIN[0]), p.leaf(CHAIN[1], called="w"), p.leaf(CHAIN[2], called="c")
    for k in range(1, steps + 1):
        x = p.op("add", p.op("mul", x, w), c, called=f"x{k}")
    return p


@cache
def chain_expected(steps: int) -> Expected:
    """gradcli's results for a chain: the same in every audit, and a 10,000-step parse takes a second."""
    return expect(chain(steps))


@dataclass
class Battery:
    """Runs every check against one loaded class, in the child."""

    child: Child
    cls: str
    attributes: set
    recursion_limit: int
    timeout: float
    seed: int = 0
    examples: int = 100
    nn: bool = False
    rows: list[Row] = field(default_factory=list)
    status: dict = field(default_factory=dict)  # check name -> status
    broken: dict = field(default_factory=dict)  # op -> "a + b timed out": later checks using it are not run
    forms: list = field(default_factory=list)  # the forms that passed alone, for random programs
    supported: list = field(default_factory=list)
    overwritten: bool = False
    depth: tuple | None = None  # (longest chain that works, chain that failed) under the recursion limit

    def run(self) -> list[Row]:
        for check in operator_checks():
            self._add(self.operator_row(check), check.form)
        self._add(self.case_row("fan-out: a + a", "fan-out", [fan_out("add", 3.0), fan_out("add", -1.5)], ["a + b"]))
        self._add(self.case_row("fan-out: a * a", "fan-out", [fan_out("mul", 3.0), fan_out("mul", -0.5)], ["a * b"]))
        both = ["a + b", "a * b"]
        self._add(self.case_row("diamond: b = a*a; out = b + a", "diamond", [diamond(3.0), diamond(-2.0)], both))
        through = [diamond_through(2.0, -1.5)]
        self._add(self.case_row("diamond: x = a*b; out = x*(x + a)", "diamond through", through, both))
        self._add(self.chain_row(1_000))
        self._add(self.chain_row(10_000))
        self._add(self.twice_row())
        self._add(self.zero_grad_row())
        if self.examples:
            self._add(self.random_row())
        if self.nn:
            self.rows.extend(self.mlp_rows())
        return self.rows

    def _add(self, row: Row, form: tuple = ()) -> None:
        self.rows.append(row)
        self.status[row.check] = row.status
        if form and row.status != UNSUPPORTED:
            self.supported.append(row.check)
        if form and row.status == OK:
            self.forms.append(form)

    # ---- running and judging one case -------------------------------------------------------------

    def ask(self, program: Program, actions=("backward",), deep: bool = False, seconds: float | None = None) -> dict:
        answer = self.child.ask(program.request(actions, deep), seconds or self.timeout)
        if answer.get("ok") and not _well_formed(answer, len(program.leaves()), len(actions)):
            return {"ok": False, "phase": "crash", "message": "it sent an answer gradcli cannot read"}
        return answer

    def unavailable(self, name: str, ops: set, needs) -> Row | None:
        """A row for a check that cannot run: what it needs is not supported, or hung or crashed before."""
        for need in needs:
            if self.status.get(need) == UNSUPPORTED:
                return Row(name, UNSUPPORTED, got=f"needs {need}")
        for op in sorted(ops):
            if op in self.broken:
                return Row(name, FAIL, got=f"not run: {self.broken[op]}")
        return None

    def failure(
        self, name: str, program: Program, expected: Expected, answer: dict, kind: str, op="", dunder=""
    ) -> Row | None:
        """The FAIL row of a case that disagrees with gradcli (None when it agrees); `kind`, `op` and
        `dunder` say what the check is about, for the diagnosis."""
        if answer.get("ok"):
            found = differences(program, expected, answer["value"], answer["snapshots"][0]["grads"])
            if not found:
                return None
            want, got = listing((w, e) for w, e, _ in found), listing((w, g) for w, _, g in found)
        else:
            found = []
            want = listing([("out", expected.value)] + _leaf_grads(program, expected.grads))
            got = error_text(answer)
            if answer.get("phase") in ("timeout", "crash") and kind in ("op", "reversed", "fan-out", "chain"):
                # the op itself hangs or crashes (or a chain is too slow): later checks that use it are not run
                ended = f"{name} {'timed out' if answer['phase'] == 'timeout' else 'crashed'}"
                for used in program.ops() if kind != "chain" else ["chain"]:
                    self.broken.setdefault(used, ended)
        case = Failing(kind, op, program, expected, answer, found, self.cls, dunder, self.overwritten)
        diagnosis = diagnose(case)
        if diagnosis and diagnosis.startswith("gradient is overwritten"):
            self.overwritten = True
        return Row(name, FAIL, program.python(self.cls), want, got, diagnosis)

    # ---- operators and methods -----------------------------------------------------------------------

    def operator_row(self, check: Check) -> Row:
        if check.attribute and check.attribute not in self.attributes:
            what = check.attribute if check.attribute.startswith("__") else f"{check.attribute}()"
            return Row(check.name, UNSUPPORTED, got=f"no {what}")
        if skip := self.unavailable(check.name, {check.op}, check.needs):
            return skip
        tried, refused = 0, []
        for program in check.cases:
            expected = judged(program)
            if expected is None:
                continue
            answer = self.ask(program)
            if check.optional and _refused(answer):
                if not tried:
                    return Row(check.name, UNSUPPORTED, got=f"{answer['error']}: {answer['message']}")
                refused.append(f"{program.python(self.cls)} is not supported ({answer['error']})")
                continue
            tried += 1
            if row := self.failure(check.name, program, expected, answer, check.kind, check.op, check.dunder):
                return row
        return Row(check.name, OK, diagnosis="; ".join(refused) or None)

    # ---- properties --------------------------------------------------------------------------------------

    def case_row(self, name: str, kind: str, programs: list[Program], needs) -> Row:
        if skip := self.unavailable(name, set().union(*(p.ops() for p in programs)), needs):
            return skip
        for program in programs:
            expected = expect(program)
            if row := self.failure(name, program, expected, self.ask(program), kind):
                return row
        return Row(name, OK)

    def chain_row(self, steps: int) -> Row:
        name = f"chain of {steps:,} steps"
        if skip := self.unavailable(name, {"add", "mul", "chain"}, ["a * b", "a + b"]):
            return skip
        program = chain(steps)
        expected = chain_expected(steps)
        seconds = self.timeout * max(1, steps / 1000)
        if self.depth is None:  # else a shorter chain already hit the recursion limit: this one would too
            answer = self.ask(program, seconds=seconds)
            if not _recursion(answer):
                return self.failure(name, program, expected, answer, "chain") or Row(name, OK)
            self.depth = self._recursion_depth(steps)
            works, fails = self.depth
            note = (
                f"recursion depth: backward() raises RecursionError on this chain; under Python's recursion limit"
                f" of {self.recursion_limit:,}, chains of up to {works:,} steps ({2 * works + 1:,} values deep) work"
                f" and {fails:,} steps fail"
            )
        else:
            note = "recursion depth: backward() raises RecursionError on this chain, as on the shorter one"
        answer = self.ask(program, deep=True, seconds=seconds)
        row = self.failure(name, program, expected, answer, "chain")
        if row is None:
            right = "with the limit raised the result is right (a loop, not recursion, works at any depth)"
            return Row(name, OK, diagnosis=f"{note}; {right}")
        row.diagnosis = (
            f"{row.diagnosis}; and {note}" if row.diagnosis else f"{note}; with the limit raised it still fails"
        )
        return row

    def _recursion_depth(self, steps: int) -> tuple[int, int]:
        """(longest chain that works, shortest that fails) under the class's recursion limit: a bisection."""
        works, fails = 0, steps
        while fails - works > 1:
            middle = (works + fails) // 2
            answer = self.ask(chain(middle))
            if answer.get("ok"):
                works = middle
            elif _recursion(answer):
                fails = middle
            else:
                break
        return works, fails

    def twice_row(self) -> Row:
        """backward() twice on one graph: PyTorch accumulates (every leaf's grad doubles)."""
        name, program = "backward() twice", seed_example()
        if skip := self.unavailable(name, program.ops(), ["a + b", "a * b"]):
            return skip
        expected = expect(program)
        answer = self.ask(program, ("backward", "backward"))
        if row := self.failure(name, program, expected, answer, "twice"):
            return row
        second, out = answer["snapshots"][1]["grads"], answer["snapshots"][1]["out"]
        doubled = [2 * g for g in expected.grads]
        compounded = expected.second_pass()
        a = f"a.grad goes {digits(expected.grads[0])} -> {digits(second[0])}"
        pytorch = f"PyTorch accumulates to {digits(doubled[0])}"
        if _all_close(second, doubled, expected):
            return Row(name, OK)
        if _all_close(second, compounded, expected) and out == 1:
            note = (
                f"backward() twice compounds, as micrograd's does: every value keeps its grad from the first call and"
                f" passes it on again ({a}; {pytorch}); zero the grads, or build the graph anew, before each backward()"
            )
            return Row(name, OK, diagnosis=note)
        if _all_close(second, expected.grads, expected):
            return Row(name, OK, diagnosis=f"the second backward() starts from zero ({a}; {pytorch})")
        if out == 2:
            why = (
                "backward() twice compounds: the second call sets the output's grad to 2, not 1"
                " (start backward() with self.grad = 1, not self.grad += 1)"
            )
        else:
            why = f"{a}: neither PyTorch's accumulation ({digits(doubled[0])})"
            why += f" nor micrograd's compounding ({digits(compounded[0])})"
            if self.overwritten:
                why = f"gradient is overwritten, not accumulated, as the fan-out checks show: {why}"
        shown, want = program.python(self.cls) + "; L.backward(); L.backward()", _leaf_grads(program, doubled)
        return Row(name, FAIL, shown, listing(want) + " (as PyTorch)", listing(_leaf_grads(program, second)), why)

    def zero_grad_row(self) -> Row:
        """backward(), zero_grad(), backward() again: the same grads as one backward(), as in PyTorch."""
        name, program = "zero_grad()", seed_example()
        if "zero_grad" not in self.attributes:
            return Row(name, UNSUPPORTED, got="no zero_grad()")
        if skip := self.unavailable(name, program.ops(), ["a + b", "a * b"]):
            return skip
        expected = expect(program)
        answer = self.ask(program, ("backward", "zero_grad", "backward"))
        if row := self.failure(name, program, expected, answer, "zero_grad"):
            return row
        shown = program.python(self.cls) + "; L.backward(); L.zero_grad()"
        zeroed, again = answer["snapshots"][1]["grads"], answer["snapshots"][2]["grads"]
        if any(zeroed):
            want, got = _leaf_grads(program, [0] * len(zeroed)), _leaf_grads(program, zeroed)
            return Row(name, FAIL, shown, listing(want), listing(got), "zero_grad() leaves grads behind")
        if _all_close(again, expected.grads, expected):
            return Row(name, OK)
        why = None
        if _all_close(again, expected.second_pass(keep_leaves=False), expected):
            why = "zero_grad() zeroes the leaves but not the intermediate values, whose old grads backward() passes on"
        want, got = _leaf_grads(program, expected.grads), _leaf_grads(program, again)
        return Row(name, FAIL, shown + "; L.backward()", listing(want), listing(got), why)

    def random_row(self) -> Row:
        name = "random programs"
        binary_forms = [f for f in self.forms if f[0] != "unary"]
        if not binary_forms:
            return Row(name, UNSUPPORTED, got="no operator of two operands passed its own check")
        agreed = []

        def disagrees(program: Program, expected: Expected) -> bool:
            answer = self.ask(program)
            if answer.get("phase") in ("timeout", "crash"):
                raise Stop
            if not answer.get("ok"):
                return True
            if differences(program, expected, answer["value"], answer["snapshots"][0]["grads"]):
                return True
            agreed.append(program)
            return False

        found = search(self.forms, disagrees, self.examples, self.seed)
        if found is None:
            return Row(name, OK, got=f"{len(agreed):,} programs agree (seed {self.seed})")
        expected = fair(found) or expect(found)
        return self.failure(name, found, expected, self.ask(found), "random") or Row(name, OK)

    # ---- the nn module ---------------------------------------------------------------------------------

    def mlp_rows(self) -> list[Row]:
        """The nn module's MLP against gradcli.nn's with the same weights (and against the lecture's
        MLP, with tanh in every layer, which many learners build instead)."""
        from .. import nn as ours

        name, zero = f"MLP({MLP_SIZES[0]}, {MLP_SIZES[1]})", "MLP zero_grad()"
        state = random.getstate()
        try:
            model = ours.MLP(*MLP_SIZES)
        finally:
            random.setstate(state)
        params = model.parameters()
        source = random.Random(self.seed)
        weights = [source.uniform(-1, 1) for _ in params]
        request = {"kind": "mlp", "nin": MLP_SIZES[0], "nouts": MLP_SIZES[1], "weights": weights, "x": MLP_INPUT}
        shown = (
            f"model = MLP({MLP_SIZES[0]}, {MLP_SIZES[1]}) with gradcli's weights (seed {self.seed});"
            f" out = model({MLP_INPUT}); out.backward()"
        )
        answer = self.child.ask(request, self.timeout)
        if answer.get("ok") and not _mlp_well_formed(answer, len(params)):
            answer = {"ok": False, "phase": "crash", "message": "it sent an answer gradcli cannot read"}
        if not answer.get("ok"):
            return [Row(name, FAIL, shown, None, error_text(answer)), Row(zero, FAIL, got="not run: the MLP failed")]
        variants = [_mlp_oracle(model, weights, tanh) for tanh in (False, True)]
        value, grads = answer["value"], answer["grads"]
        scale = max(abs(v) for v, _ in variants)
        match = next((v for v in variants if close(value, v[0], scale)), None)
        labels = _parameter_names(model)
        if match is None:
            want = f"out = {digits(variants[0][0])} (micrograd's MLP) or {digits(variants[1][0])} (tanh in every layer)"
            why = "the forward pass matches neither micrograd's MLP (relu, the last layer linear)"
            why += " nor the lecture's (tanh in every layer)"
            rows = [Row(name, FAIL, shown, want, f"out = {digits(value)}", why)]
        else:
            rows = [self._mlp_grads(name, shown, labels, match[1], grads)]
        after = answer["zero_grad"]
        if after is None:
            rows.append(Row(zero, UNSUPPORTED, got="the MLP has no zero_grad()"))
        elif any(after["zeroed"]):
            got = listing((n, g) for n, g in zip(labels, after["zeroed"]) if g)
            shown += "; model.zero_grad()"
            rows.append(Row(zero, FAIL, shown, "every grad = 0", got, "zero_grad() leaves grads behind"))
        else:
            first = match[1] if match else grads
            rows.append(self._mlp_grads(zero, shown + "; model.zero_grad(); again", labels, first, after["grads"]))
        return rows

    def _mlp_grads(self, name: str, shown: str, labels: list[str], want: list[float], got: list[float]) -> Row:
        scale = max(map(abs, want), default=0.0)
        wrong = [(n, w, g) for n, w, g in zip(labels, want, got) if not close(g, w, scale)]
        if not wrong:
            return Row(name, OK)
        first = wrong[:3]
        more = f" (and {len(wrong) - 3} more)" if len(wrong) > 3 else ""
        want, got = listing((n, w) for n, w, _ in first), listing((n, g) for n, _, g in first)
        return Row(name, FAIL, shown, want + more, got + more)


def _mlp_oracle(model, weights: list[float], tanh: bool) -> tuple[float, list[float]]:
    """gradcli's MLP (relu, the last layer linear) or the lecture's (tanh everywhere), with these weights."""
    for p, w in zip(model.parameters(), weights):
        p.data, p.grad = w, 0.0
    if tanh:
        x = MLP_INPUT
        for layer in model.layers:
            x = [sum((wi * xi for wi, xi in zip(n.w, x)), n.b).tanh() for n in layer.neurons]
        out = x[0]
    else:
        out = model(MLP_INPUT)
    out.backward()
    return out.data, [p.grad for p in model.parameters()]


def _parameter_names(model) -> list[str]:
    """`layers[0].neurons[1].w[2].grad`, for each parameter in the order parameters() gives them."""
    return [
        f"layers[{i}].neurons[{j}].{f'w[{k}]' if k < len(n.w) else 'b'}.grad"
        for i, layer in enumerate(model.layers)
        for j, n in enumerate(layer.neurons)
        for k in range(len(n.w) + 1)
    ]


def _refused(answer: dict) -> bool:
    return not answer.get("ok") and answer.get("phase") == "build" and answer.get("error") in REFUSALS


def _recursion(answer: dict) -> bool:
    return not answer.get("ok") and answer.get("error") == "RecursionError"


def _all_close(got: list[float], want: list[float], expected: Expected) -> bool:
    scale = max(map(abs, want + [expected.grad_scale]))
    return all(close(g, w, scale) for g, w in zip(got, want))


def _leaf_grads(program: Program, grads: list[float]) -> list[tuple[str, float]]:
    return [(f"{name}.grad", g) for (_, name), g in zip(program.leaves(), grads)]


def _numbers(x, n: int) -> bool:
    """Is x a list of n numbers (as JSON gives them)?"""
    return isinstance(x, list) and len(x) == n and all(type(v) in (int, float) for v in x)


def _well_formed(answer: dict, leaves: int, actions: int) -> bool:
    snapshots = answer.get("snapshots")
    return (
        _numbers([answer.get("value")], 1)
        and isinstance(snapshots, list)
        and len(snapshots) == actions
        and all(isinstance(s, dict) and _numbers(s.get("grads"), leaves) for s in snapshots)
        and all(_numbers([s.get("out")], 1) for s in snapshots)
    )


def _mlp_well_formed(answer: dict, n: int) -> bool:
    after = answer.get("zero_grad")
    return (
        _numbers([answer.get("value")], 1)
        and _numbers(answer.get("grads"), n)
        and (
            after is None
            or isinstance(after, dict)
            and _numbers(after.get("zeroed"), n)
            and _numbers([after.get("value")], 1)
            and _numbers(after.get("grads"), n)
        )
    )


STEPS = {"build": "building it", "backward": "backward()", "zero_grad": "zero_grad()", "read": "reading data and grad"}


def error_text(answer: dict) -> str:
    """What went wrong in the child, as the report's "got" says it."""
    phase = answer.get("phase")
    if phase == "timeout":
        return f"timed out after {answer['seconds']:g} s"
    if phase == "crash":
        return f"crashed: {answer.get('message', '')}"
    error, message, where = (str(answer.get(k, "")) for k in ("error", "message", "where"))
    at = f" ({where})" if where else ""
    if error == "SystemExit":
        return f"crashed: sys.exit({'' if message == 'None' else message}) was called{at}"
    if error == "Failure":
        return message
    if error == "MemoryError":
        return f"{STEPS.get(phase, phase)} ran out of memory (the limit is {MEMORY // 2**30} GB){at}"
    return f"{STEPS.get(phase, phase)} raised {error}" + (f": {message}" if message else "") + at
