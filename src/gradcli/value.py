"""`Value`: micrograd's interface, on gradcli's op table, with a backward pass of any depth.

    >>> from gradcli import Value
    >>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    >>> L = (a * b + 10) * -2
    >>> L.backward()
    >>> a.grad, b.grad
    (6.0, -4.0)

Each value keeps its op (a row of `ops.OPS`) and its one or two arguments; no closure per node.
A plain number used with values (`x * 2`, `1 - y`) is kept as it is, a constant with no grad.
`backward()` orders the graph with loops, not recursion, so it works at any depth.

micrograd's own idioms work too. `Value(data, (a, b), 'op')` makes a value with those children
that passes nothing on until code sets its `_backward` (micrograd's way to add an op), and a
subclass may call `super().__init__(data, _children, _op)`. `v._backward()` applies one value's
chain rule from the op table (the lecture's pass by hand); `_prev` and `_op` are micrograd's.

Gradients accumulate, as in micrograd and PyTorch: `backward()` adds d(self)/d(v) to `v.grad`
for every value `v` in self's graph (self included), so calling it twice doubles every grad.
Zero them between passes with `zero_grad()` (the whole graph) or `Module.zero_grad()` (a
network's parameters), as micrograd's training loop does.

Higher order, PyTorch's way: `backward(create_graph=True)` runs the same pass with Values in
place of floats (each local derivative built from its expression in the op table), so every
grad is a Value with a graph of its own, that can be differentiated again. The accumulation
rule is the same, so zero a grad before differentiating it (PyTorch's `x.grad = None`):

    >>> x = Value(3.0)
    >>> y = x**3
    >>> y.backward(create_graph=True)
    >>> g = x.grad                  # dy/dx = 3*x**2, a Value
    >>> x.grad = 0.0                # otherwise the next pass adds to it (27 + 18)
    >>> g.backward()
    >>> g.data, x.grad
    (27.0, 18.0)
"""

from __future__ import annotations

import functools
import itertools
import numbers
from collections.abc import Iterable

from .graph import Graph, Node
from .ops import FUNCTIONS, OPS, Op, ieee


class Rule:
    """One op of the table, unpacked for the backward loop."""

    __slots__ = ("op", "forward", "da", "db", "micrograd")

    def __init__(self, op: Op):
        self.op, self.forward = op, op.forward
        self.da = op.derivs[0]
        self.db = op.derivs[1] if op.arity == 2 else None
        self.micrograd = op.micrograd or op.symbol


RULES = {name: Rule(op) for name, op in OPS.items()}


class Custom:
    """How a value made by micrograd's constructor, `Value(data, children, op)`, differentiates: its
    op text and its `_backward` function (None: nothing, micrograd's default until code sets one).
    The value keeps its children, a tuple of Values, in `_a`."""

    __slots__ = ("op", "backward")

    def __init__(self, op: str, backward=None):
        self.op, self.backward = op, backward


class Value:
    """A scalar, the op that made it, and its gradient after `backward()`."""

    __slots__ = ("data", "grad", "label", "_rule", "_a", "_b", "_users")

    def __init__(self, data, _children=(), _op: str = "", label: str = ""):
        self.data = float(data)
        self.grad = 0.0
        self.label = label
        self._rule = self._a = self._b = None
        self._users = 0  # non-zero only while a pass is ordering the graph
        if _children or _op:  # micrograd's constructor: the children and op of a user-defined operation
            self._rule, self._a = Custom(str(_op)), _children_of(_children)

    # Arithmetic with numbers on either side (+ - * / **, unary -, abs) and the functions
    # (relu tanh sigmoid exp log sqrt sin cos tan, pow max min) are made from the op table below the class.

    def backward(self, create_graph: bool = False) -> None:
        """Add d(self)/d(v) to `v.grad` for every value `v` in self's graph (see the module doc).

        With `create_graph=True` every grad is a Value built by the pass, to be differentiated again.
        """
        found, stale = [self], []
        try:
            _count_users(found, stale)
            if create_graph:
                _backpropagate_values(self, found)
            else:
                _backpropagate(self)
        except BaseException:  # a failed or interrupted pass changes nothing and leaves no count behind
            _restore(found, stale)
            raise
        for v, g in stale:
            v.grad += g
        if create_graph:
            for v in found:
                if not isinstance(v.grad, Value):  # a derivative that is a number is a constant Value
                    v.grad = Value(v.grad)

    def zero_grad(self) -> None:
        """Set the grad of every value in self's graph to 0."""
        for v in graph_order([self]):
            v.grad = 0.0

    # micrograd's internals, for code that walks the graph itself (its lecture's draw_dot and
    # step-by-step backward pass, other people's operations)

    @property
    def _prev(self) -> set:
        """The values this one was computed from; a number shows as a new Value (a constant), but
        for a number exponent, which micrograd writes in the op (`**2`)."""
        rule = self._rule
        if rule.__class__ is Rule and "{y}" in rule.micrograd and self._b.__class__ is float:
            return {self._a}
        return set(_children_of(_args(self)))

    @property
    def _op(self) -> str:
        """The op as micrograd writes it (`+`, `ReLU`, `**2`), or the text given to the constructor."""
        rule = self._rule
        if rule is None:
            return ""
        if rule.__class__ is Custom:
            return rule.op
        if "{y}" not in rule.micrograd:
            return rule.micrograd
        b = self._b
        return rule.micrograd.format(y=_number(b)) if b.__class__ is float else rule.op.symbol

    @property
    def _backward(self):
        """This value's step of the chain rule, `child.grad += d(self)/d(child) * self.grad` for each
        child (from the op table), as a function of no arguments; or the function code set."""
        rule = self._rule
        if rule is None:
            return _nothing
        if rule.__class__ is Custom:
            return rule.backward or _nothing
        return functools.partial(_step, self)

    @_backward.setter
    def _backward(self, function) -> None:
        if self._rule.__class__ is not Custom:  # the value keeps its children and op, and takes the function
            self._rule, self._a, self._b = Custom(self._op), tuple(self._prev), None
        self._rule.backward = function

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data}, grad={self.grad}{label})"


_new = object.__new__  # a computed value is made field by field, inline: the hottest path


def _nothing() -> None:
    """The step of a value that passes nothing on: a leaf, or a user-defined op without a `_backward`."""


def _children_of(children) -> tuple:
    """micrograd's `_children` as a tuple of distinct Values (a number becomes a constant Value)."""
    usage = "Value(data, _children=(), _op='', label=''): _children must be Values"
    if isinstance(children, str):
        raise TypeError(f"{usage}, not {children!r} (a label is given as label={children!r})")
    if not isinstance(children, Iterable):
        raise TypeError(f"{usage}, such as (a, b), not {children!r}")
    kept = {}
    for child in children:
        if isinstance(child, numbers.Real):
            child = Value(child)
        elif not isinstance(child, Value):
            raise TypeError(f"{usage}, not {child!r}")
        kept[child] = None
    return tuple(kept)


def _number(x: float) -> str:
    """A number as micrograd's `_op` shows an exponent: `2`, `-1`, `0.5`."""
    return str(int(x)) if x.is_integer() and abs(x) < 1e16 else repr(x)


def _operand(x):
    """(x, its number) for a Value or a real number; (None, None) for anything else."""
    if isinstance(x, Value):
        return x, x.data
    if isinstance(x, numbers.Real):
        return float(x), float(x)
    return None, None


def _made(data: float, rule, a, b) -> Value:
    """A computed Value of `rule` on `a` (and `b`), made field by field, without __init__ (the hottest path)."""
    v = _new(Value)
    v.data, v.grad, v.label = data, 0.0, ""
    v._rule, v._a, v._b = rule, a, b
    v._users = 0
    return v


def _binary(name: str, method_name: str, reflected: bool = False):
    """The method for `self <op> other`, or `other <op> self` when reflected."""
    rule = RULES[name]
    forward = rule.forward

    def method(self, other):
        if other.__class__ is Value:
            y = other.data
        elif other.__class__ is float:
            y = other
        elif other.__class__ is int:
            other = y = float(other)
        else:
            other, y = _operand(other)
            if other is None:
                return NotImplemented
        if reflected:
            a, b = other, self
            x = y
            y = self.data
        else:
            a, b = self, other
            x = self.data
        try:
            data = forward(x, y)
        except (ArithmeticError, ValueError) as exc:
            raise _domain(rule, exc, x, y) from None
        return _made(data, rule, a, b)

    method.__name__ = method_name
    return method


def _unary(name: str, method_name: str):
    """The method for `op(self)`."""
    rule = RULES[name]
    forward = rule.forward

    def method(self):
        try:
            data = forward(self.data)
        except (ArithmeticError, ValueError) as exc:
            raise _domain(rule, exc, self.data) from None
        return _made(data, rule, self, None)

    method.__name__ = method_name
    method.__doc__ = f"{rule.op.symbol}(self), a new Value."
    return method


for _op in (op for op in OPS.values() if op.python):  # Python's operators: x + 2, 2 - x, -x, abs(x)
    if _op.arity == 2:
        setattr(Value, f"__{_op.python}__", _binary(_op.name, f"__{_op.python}__"))
        setattr(Value, f"__r{_op.python}__", _binary(_op.name, f"__r{_op.python}__", reflected=True))
    else:
        setattr(Value, f"__{_op.python}__", _unary(_op.name, f"__{_op.python}__"))
for _name in (f for f in FUNCTIONS if OPS[f].arity == 1):  # x.tanh(), x.relu(), ...
    setattr(Value, _name, _unary(_name, _name))
for _name in (f for f, op in FUNCTIONS.items() if OPS[op].arity == 2):  # x.pow(2), x.max(y), x.min(y)
    setattr(Value, _name, _binary(FUNCTIONS[_name], _name))
    getattr(Value, _name).__doc__ = f"{_name}(self, other), a new Value."


def _domain(rule: Rule, exc: Exception, *args) -> Exception:
    """The same exception type, with a message naming the op, why it failed, and its arguments."""
    return type(exc)(f"{rule.op.name}: {rule.op.failure(exc, args)} (got {' and '.join(map(repr, args))})")


def _args(v: Value) -> tuple:
    """v's arguments: Values and numbers for an op of the table, the Values given to micrograd's constructor."""
    a = v._a
    if a is None or a.__class__ is tuple:
        return a or ()
    return (a,) if v._b is None else (a, v._b)


# ---- the backward pass: Kahn's algorithm, with the count of users kept on each value -----------
#
# A walk from the output counts, in each value's `_users`, how many values of the graph use it
# (the output counts one use, by the caller). Going back from the output, a value is released
# once its last user has passed its gradient on: reverse topological order, with no recursion,
# set or sort, and every count back at 0 at the end. An argument is a Value (or a subclass), a
# number (a float: a constant), or, for a value made by micrograd's constructor, a tuple of Values.


def _count_users(found: list[Value], stale: list) -> None:
    """Extend `found` (the output alone) to every value the output depends on, counting `_users`.
    Each grad already there goes to `stale` as (value, grad) and is zeroed, so that the pass
    computes d(output)/d(v) alone and adds it back at the end."""
    found[0]._users = 1
    push, number, children = found.append, float, tuple  # locals: the loop's fastest lookups
    for v in found:  # the list grows as it goes: a breadth-first walk
        if v.grad:
            stale.append((v, v.grad))
            v.grad = 0.0
        a, b = v._a, v._b
        if b is None:
            if a is None:  # a leaf
                continue
            if a.__class__ is children:  # made by micrograd's constructor
                for c in a:
                    if not c._users:
                        push(c)
                    c._users += 1
                continue
        elif b.__class__ is not number:
            if not b._users:
                push(b)
            b._users += 1
        if a.__class__ is not number:
            if not a._users:
                push(a)
            a._users += 1


def _restore(found: list[Value], stale: list) -> None:
    for v in found:
        v._users = 0
        v.grad = 0.0
    for v, g in stale:
        v.grad = g


def graph_order(outputs) -> list[Value]:
    """Every value the outputs depend on, once each, arguments first and left to right, as the
    parser orders a program: an iterative depth-first walk (not the backward pass's order)."""
    order, seen = [], set()
    stack = [(out, False) for out in reversed(outputs)]
    while stack:
        v, done = stack.pop()
        if done:
            order.append(v)
        elif v not in seen:
            seen.add(v)
            stack.append((v, True))
            stack.extend((a, False) for a in reversed(_args(v)) if isinstance(a, Value) and a not in seen)
    return order


def _backpropagate(out: Value) -> None:
    """The chain rule from `out` (counted by `_count_users`), releasing values as in Kahn's order.

    Each value passes its grad to its arguments with the local derivatives of the op table:
    `arg.grad += d(value)/d(arg) * value.grad` (this loop inlines `_step`, one value's share). A
    number argument gets nothing. A value made by micrograd's constructor runs its own `_backward`.
    """
    out._users = 0
    out.grad = 1.0
    ready = [out]
    pop, push, number, children = ready.pop, ready.append, float, tuple  # locals: the loop's fastest lookups
    v = out
    try:
        while ready:
            v = pop()
            rule = v._rule
            if rule is None:
                continue
            g, a, b = v.grad, v._a, v._b
            if b is None:
                if a.__class__ is children:  # made by micrograd's constructor
                    if rule.backward is not None:
                        rule.backward()
                    for c in a:
                        c._users -= 1
                        if not c._users:
                            push(c)
                    continue
                a.grad += rule.da(a.data, v.data) * g
            elif b.__class__ is number:  # value <op> number
                a.grad += rule.da(a.data, b, v.data) * g
            elif a.__class__ is number:  # number <op> value: release b as the one argument
                b.grad += rule.db(a, b.data, v.data) * g
                a = b
            else:
                x, y = a.data, b.data
                a.grad += rule.da(x, y, v.data) * g
                b.grad += rule.db(x, y, v.data) * g
                b._users -= 1
                if not b._users:
                    push(b)
            a._users -= 1
            if not a._users:
                push(a)
    except (ArithmeticError, ValueError) as exc:
        if v._rule.__class__ is Custom:  # the user's own function: its error as it is
            raise
        raise _undefined(v, exc) from None


def _backpropagate_values(out: Value, found: list[Value]) -> None:
    """The chain rule from `out` with Values for grads: `_backpropagate`'s order and sums, each local
    derivative built from the op table's expression over the arguments and the value (`symbolic.Template`)."""
    from .symbolic import templates

    for v in found:
        if v._rule.__class__ is Custom and v._rule.backward is not None:
            raise TypeError(
                f"backward(create_graph=True): {v._rule.op!r} was made by Value(data, children, op) with its own"
                " _backward function, which cannot be differentiated again; build it from Value operations"
            )
    table = templates()
    out._users = 0
    out.grad = 1.0
    ready = [out]
    v = out
    try:
        while ready:
            v = ready.pop()
            rule = v._rule
            if rule is None:
                continue
            g, a, b = v.grad, v._a, v._b
            if a.__class__ is tuple:  # micrograd's constructor with no _backward: passes nothing on
                args = a
            else:
                args = (a,) if b is None else (a, b)
                slots = {"x": a, "y": args[-1], "out": v}
                for arg, template in zip(args, table[rule.op.name]):
                    if isinstance(arg, Value):
                        term = _times(template.apply(_apply, float, slots), g)
                        before = arg.grad
                        arg.grad = term if before.__class__ is float and not before else _apply("add", before, term)
            for arg in args:  # one use each, as counted (x*x uses x twice)
                if isinstance(arg, Value):
                    arg._users -= 1
                    if not arg._users:
                        ready.append(arg)
    except (ArithmeticError, ValueError) as exc:
        raise _undefined(v, exc) from None


def _times(local, g):
    """local * g, where a factor of 1 is left out (exact)."""
    if local.__class__ is float and local == 1.0:
        return g
    if g.__class__ is float and g == 1.0:
        return local
    return _apply("mul", local, g)


def _apply(name: str, *args):
    """The op `name` on Values and numbers: a new Value, or a number when every argument is one. Where
    the op has no float value (a derivative 1/0), the result is IEEE's inf or nan, as the float pass has it."""
    rule = RULES[name]
    result = ieee(name, *(a.data if isinstance(a, Value) else a for a in args))
    if not any(isinstance(a, Value) for a in args):
        return result
    return _made(result, rule, args[0], args[1] if len(args) == 2 else None)


def _step(v: Value) -> None:
    """One value's step of the chain rule (micrograd's `v._backward()`): add
    d(v)/d(arg) * v.grad to the grad of each Value argument, with the op table's derivatives."""
    rule, g, a, b = v._rule, v.grad, v._a, v._b
    try:
        if b is None:
            a.grad += rule.da(a.data, v.data) * g
        elif b.__class__ is float:
            a.grad += rule.da(a.data, b, v.data) * g
        elif a.__class__ is float:
            b.grad += rule.db(a, b.data, v.data) * g
        else:
            a.grad += rule.da(a.data, b.data, v.data) * g
            b.grad += rule.db(a.data, b.data, v.data) * g
    except (ArithmeticError, ValueError) as exc:
        raise _undefined(v, exc) from None


def _undefined(v: Value, exc: Exception) -> Exception:
    shown = " and ".join(repr(a.data if isinstance(a, Value) else a) for a in _args(v))
    return type(exc)(f"the derivative of {v._rule.op.name} is infinite or undefined at {shown}")


# ---- the bridge to gradcli's Graph -------------------------------------------------------------


def to_graph(*outputs: Value) -> tuple[Graph, list[float], list[float]]:
    """The graph of the outputs as a gradcli `Graph`, with every node's data and current grad (a number).

    Values become nodes in topological order and numbers become constants. A leaf value is a
    variable and a labelled computed value a named node, under its label; a label used twice
    gets a suffix (`a_2`), and an unlabelled leaf a fresh name (`v1`, `v2`, ...). The last
    output is the graph's output. A value made by micrograd's constructor keeps its op text as
    the node's op: such a graph can be drawn, not run by the engine.
    """
    order = graph_order(outputs)
    nodes, values, grads, index = [], [], [], {}
    graph = Graph(nodes)
    taken = {v.label for v in order if v.label}
    fresh = (name for k in itertools.count(1) if (name := f"v{k}") not in taken)

    def add(op: str, args: tuple, name: str | None, value: float, grad: float, const=None) -> int:
        nodes.append(Node(op, args, name, value=const))
        values.append(value)
        grads.append(grad)
        return len(nodes) - 1

    for v in order:
        args = tuple(index[a] if isinstance(a, Value) else add("const", (), None, a, 0.0, a) for a in _args(v))
        leaf = not args
        name = v.label or (next(fresh) if leaf else None)
        if name is not None:
            name = next(n for n in _suffixed(name) if n not in graph.named and n not in graph.variables)
        op = "var" if leaf else v._rule.op.name if v._rule.__class__ is Rule else v._op
        grad = v.grad.data if isinstance(v.grad, Value) else v.grad  # a grad made by create_graph=True
        index[v] = add(op, args, name, v.data, grad)
        if name is not None:
            (graph.variables if leaf else graph.named)[name] = index[v]
    graph.output = index[outputs[-1]]
    return graph, values, grads


def _suffixed(name: str):
    """name, name_2, name_3, ..."""
    yield name
    for k in itertools.count(2):
        yield f"{name}_{k}"
