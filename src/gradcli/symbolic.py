"""Derivatives as programs: expression nodes, a small simplifier, and reverse mode that builds nodes.

`Expr` holds one DAG of expression nodes (an op on earlier nodes, a number, or a variable),
numbered in the order they are made, so every node comes after its arguments. A node is made
through `Expr.make`, which applies the rules below and returns the node already there when an
equal one exists (hash-consing): common subexpressions are shared, so a derivative stays linear
in the size of its program.

Each op's local derivatives come from the op table (`Op.derivatives`, text over `x`, `y` and
the op's value `out`), parsed once by gradcli's own grammar into `Template`s when first needed.
`adjoints` runs the engine's backward pass with nodes in place of floats: every gradient is a
node of the same DAG, to be printed (`gradcli.printing`), evaluated, drawn or differentiated
again. Like the engine it visits the nodes from the output back, adds `local * upstream` for
each use in the same order, and recurses over nothing.

The rules, each applied once, as a node is made (constant work per node):
  * numbers: an arithmetic op on numbers is folded (`2*3` -> `6`, with the engine's own float
    functions) when the result is finite; a function of numbers (`log(2)`) is kept as written;
  * identities: `0*u` -> 0 (even where u has no value: PyTorch's convention for `x**0` at 0),
    `1*u`, `u*1`, `u + 0`, `u - 0`, `u/1`, `u**1` -> u; `u**0`, `1**u` -> 1; `0/u` -> 0;
    `u - u` -> 0; `log0(c)` -> `log(c)` for a positive number c;
  * like terms: `a*u + b*u` -> `(a + b)*u` for numbers a, b (so `u + u` -> `2*u`, `2*x + x` ->
    `3*x`, and the same for `-`), also with a term of a sum (`u + (u + 1)` -> `2*u + 1`, 8 terms deep);
    `u*u` -> `u**2`, `u**a*u**b` -> `u**(a + b)` (and `u**a*u`), `(u/v)/v` -> `u/v**2`;
    numbers go to the front of a product (`u*2` -> `2*u`, `2*(3*u)` -> `6*u`, `u*(2*v)` -> `2*u*v`),
    and a number times a product with a number in front is one number (`3*(-2*u*v/w)` -> `-6*u*v/w`,
    looking at most 8 factors deep),
    and numbers of a sum together (`u - 3 + 1` -> `u - 2`);
  * order: the two operands of `+` and `*` are put in one order (numbers first in a product and
    last in a sum; then variables and their powers, products, quotients, sums, function calls),
    so that `a*b` and `b*a` are one node;
  * signs: `-(-u)` -> u; `u + -v` -> `u - v`; `-u + v` -> `v - u`; `u - -v` -> `u + v`;
    `u + -2` -> `u - 2`; `-(a - b)` -> `b - a`; `(-a)*(-b)` -> `a*b`; `a*(-b)` and `(-a)*b` ->
    `-(a*b)`, and the same for `/`; `-(2*u*v)` -> `-2*u*v`.
Every rule is exact in floating point but like terms and gathering numbers, which change the
order in which the rounding happens; so a formula gives the engine's gradient to the last bit wherever
those did not apply.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from .graph import Graph
from .ops import OPS

#: Ops on numbers that are folded into a number: arithmetic, whose float result is what the engine computes.
FOLDED = frozenset({"add", "sub", "mul", "div", "pow", "neg", "id", "abs", "sign", "step", "relu", "max", "min"})

ZERO, ONE = 0.0, 1.0
LEAD = 8  # how deep in a product the rules look for its number (constant work per node)


# ---- the op table's derivative expressions, parsed once --------------------------------------------


@dataclass(frozen=True)
class Template:
    """One local derivative, parsed: the nodes of its expression over the slots x, y and out."""

    text: str
    graph: Graph  # the parsed expression; its variables are among x, y, out

    @property
    def steps(self) -> tuple:
        """The expression's nodes as (kind, what): ("slot", name), ("const", number) or (op, argument positions)."""
        steps = self.__dict__.get("_steps")
        if steps is None:
            steps = tuple(
                ("slot", n.name) if n.op == "var" else ("const", n.value) if n.op == "const" else (n.op, n.args)
                for n in self.graph.nodes[: self.graph.output + 1]
            )
            object.__setattr__(self, "_steps", steps)
        return steps

    def apply(self, make, const, slots: dict):
        """The derivative built by `make(op, *args)` and `const(number)`, each slot (x, y, out) given."""
        ids = []
        push = ids.append
        for kind, what in self.steps:
            if kind == "slot":
                push(slots[what])
            elif kind == "const":
                push(const(what))
            else:
                push(make(kind, *[ids[a] for a in what]))
        return ids[-1]


@lru_cache(maxsize=1)
def templates() -> dict[str, tuple[Template, ...]]:
    """Every op's derivative expressions, parsed by the grammar (once, on first use)."""
    from .parser import parse

    return {name: tuple(Template(text, parse(text)) for text in op.derivatives) for name, op in OPS.items()}


# ---- the expression DAG ---------------------------------------------------------------------------


class Expr:
    """A DAG of expression nodes, each made once (see the module doc for the rules `make` applies).

    Node i is `ops[i]` on `args[i]`; a number is ("const", its value in `values[i]`), a variable
    ("var", its name in `values[i]`). `depends[i]` says whether it depends on a variable. `names`
    keeps the name a program gave a node, for printing.
    """

    def __init__(self):
        self.ops: list[str] = []
        self.args: list[tuple] = []
        self.values: list = []
        self.depends = bytearray()
        self.names: dict[int, str] = {}
        self._index: dict = {}
        self._rules = {
            "neg": self._neg, "add": self._add, "sub": self._sub, "mul": self._mul, "div": self._div,
            "pow": self._pow, "log0": self._log0,
        }  # fmt: skip

    def __len__(self) -> int:
        return len(self.ops)

    def _new(self, key, op: str, args: tuple, value=None) -> int:
        found = self._index.get(key)
        if found is not None:
            return found
        i = len(self.ops)
        self.ops.append(op)
        self.args.append(args)
        self.values.append(value)
        depends = self.depends
        if not args:
            depends.append(op == "var")
        else:
            depends.append(depends[args[0]] or depends[args[-1]])
        self._index[key] = i
        return i

    def const(self, value: float) -> int:
        value = float(value)
        return self._new(("const", value, math.copysign(1.0, value)), "const", (), value)

    def var(self, name: str) -> int:
        return self._new(("var", name), "var", (), name)

    def reached(self, nodes) -> bytearray:
        """1 for every node that `nodes` need (themselves and their arguments, all the way down)."""
        reach = bytearray(len(self.ops))
        stack, args = list(nodes), self.args
        while stack:
            i = stack.pop()
            if not reach[i]:
                reach[i] = 1
                stack.extend(args[i])
        return reach

    def number(self, i: int) -> float | None:
        """Node i's value if it is a number, else None."""
        return self.values[i] if self.ops[i] == "const" else None

    def make(self, op: str, *args: int) -> int:
        """The node `op(args)`, simplified, shared with an equal node made before."""
        if op == "id":
            return args[0]
        ops = self.ops
        if ops[args[0]] == "const" and ops[args[-1]] == "const":
            if op in FOLDED:
                try:
                    value = OPS[op].forward(*(self.values[a] for a in args))
                except (ArithmeticError, ValueError):
                    value = math.nan
                if math.isfinite(value):
                    return self.const(value)
            if op != "log0":
                return self._new((op, args), op, args)  # numbers that do not fold (1e308*10, log(2)) stay as written
        rule = self._rules.get(op)
        if rule is not None:
            found = rule(*args)
            if found is not None:
                return found
        if op in ("add", "mul") and self._order(op, args[1]) < self._order(op, args[0]):
            args = (args[1], args[0])  # exact: a + b and a * b are commutative in floating point
        return self._new((op, args), op, args)

    def _order(self, op: str, i: int) -> tuple[int, int]:
        """Where node i goes among the operands of a sum or product: `x + 1`, `2*x**2*cos(x)*(a + b)`."""
        kind = self.ops[i]
        if op == "add":
            return (kind == "const", i)
        if kind == "pow" and self.ops[self.args[i][0]] == "var":
            kind = "var"
        elif kind == "mul" and self.ops[self.args[i][0]] == "const":  # 2*x goes first, as its number does
            kind = "const"
        rank = {"const": 0, "var": 1, "mul": 2, "neg": 2, "pow": 3, "div": 3, "add": 5, "sub": 5}.get(kind, 4)
        return (rank, i)

    # ---- the rules: each returns the simplified node, or None to make the node as it is

    def _is(self, i: int, value: float) -> bool:
        return self.ops[i] == "const" and self.values[i] == value

    def _term(self, i: int) -> tuple[float, int]:
        """(c, u) with node i equal to c*u: a number times a node, or -u, or 1*i."""
        op, args = self.ops[i], self.args[i]
        if op == "mul" and self.ops[args[0]] == "const":
            return self.values[args[0]], args[1]
        if op == "mul" and self.ops[args[0]] == "mul" and self.ops[self.args[args[0]][0]] == "const":
            c, u = self.args[args[0]]  # (c*u)*v is c times u*v
            return self.values[c], self.make("mul", u, args[1])
        if op == "neg":
            return -1.0, args[0]
        return 1.0, i

    def _power(self, i: int) -> tuple[float, int]:
        """(e, u) with node i equal to u**e for a number e, or 1 and i."""
        if self.ops[i] == "pow" and self.ops[self.args[i][1]] == "const":
            return self.values[self.args[i][1]], self.args[i][0]
        return 1.0, i

    def _neg(self, u: int) -> int | None:
        op, args = self.ops[u], self.args[u]
        if op == "neg":
            return args[0]
        if op == "sub":
            return self.make("sub", args[1], args[0])
        return self._scaled(u, -1.0)  # -(2*u*v) -> -2*u*v

    def _like(self, a: int, b: int, sign: float) -> int | None:
        """a + sign*b with like terms gathered: both multiples of one node, or one of them like a term
        of the other when that is a sum (`u + (u + 1)` -> `2*u + 1`); None when nothing is alike."""
        ca, u = self._term(a)
        cb, v = self._term(b)
        if u == v and self.ops[u] != "const":
            c = self.const(ca + sign * cb)
            if self.ops[u] == "mul" and self.ops[self.args[u][0]] != "const":  # c*(p*q) is written (c*p)*q
                return self.make("mul", self.make("mul", c, self.args[u][0]), self.args[u][1])
            return self.make("mul", c, u)
        ops, args = self.ops, self.args
        op = "add" if sign > 0 else "sub"
        if ops[b] in ("add", "sub") and ops[a] not in ("add", "sub"):  # a ± (p ± q)
            p, q = args[b]
            flip = "sub" if (ops[b] == "sub") == (sign > 0) else "add"  # how q enters the result
            if self._has_term(p, u):
                return self.make(flip, self.make(op, a, p), q)
            if self._term(q)[1] == u:
                return self.make(op, self.make(flip, a, q), p)
        if ops[a] in ("add", "sub") and ops[b] not in ("add", "sub"):  # (p ± q) ± b
            p, q = args[a]
            if self._has_term(p, v):
                return self.make(ops[a], self.make(op, p, b), q)
            if self._term(q)[1] == v:  # p + (q ± b), or p - (q ∓ b)
                inner = op if ops[a] == "add" else ("sub" if op == "add" else "add")
                return self.make(ops[a], p, self.make(inner, q, b))
        return None

    def _has_term(self, i: int, u: int) -> bool:
        """Whether node i is a multiple of u, or a sum with such a term (looked for down its left
        side, at most LEAD sums deep): `(u + 1) - 2*v` has the term u."""
        ops = self.ops
        for _ in range(LEAD):
            if ops[i] not in ("add", "sub"):
                break
            p, q = self.args[i]
            if ops[q] not in ("add", "sub") and self._term(q)[1] == u:
                return True
            i = p
        return ops[i] not in ("add", "sub") and self._term(i)[1] == u

    def _add(self, a: int, b: int) -> int | None:
        if self._is(a, ZERO):
            return b
        if self._is(b, ZERO):
            return a
        positive = self._negated(b)
        if positive is not None:
            return self.make("sub", a, positive)
        positive = self._negated(a)
        if positive is not None:
            return self.make("sub", b, positive)
        return self._numbers(a, b, 1.0) or self._like(a, b, 1.0)

    def _sub(self, a: int, b: int) -> int | None:
        if self._is(b, ZERO):
            return a
        if self._is(a, ZERO):
            return self.make("neg", b)
        if a == b:
            return self.const(ZERO)
        positive = self._negated(b)
        if positive is not None:
            return self.make("add", a, positive)
        return self._numbers(a, b, -1.0) or self._like(a, b, -1.0)

    def _negated(self, i: int) -> int | None:
        """u when node i is visibly -u: `-u`, a negative number, `-2*u` or `-2/u`; else None."""
        op, args = self.ops[i], self.args[i]
        if op == "neg":
            return args[0]
        if op == "const" and self.values[i] < 0:
            return self.const(-self.values[i])
        spine = self._lead(i)
        if spine is not None and self.values[spine[-1]] < 0:
            return self._scaled(i, -1.0)
        return None

    def _lead(self, i: int) -> list[int] | None:
        """The left spine of a product or quotient down to its leading number (`2*u*v/w`: the nodes
        from i to 2), looked for at most LEAD levels deep; None when it has no number in front."""
        spine = [i]
        for _ in range(LEAD):
            node = spine[-1]
            if self.ops[node] not in ("mul", "div"):
                return None
            first = self.args[node][0]
            spine.append(first)
            if self.ops[first] == "const":
                return spine
        return None

    def _scaled(self, i: int, factor: float) -> int | None:
        """Node i, a product with a number in front (see `_lead`), with that number times `factor`
        (`-1`: exact; another number: gathering numbers); None when i has none or it overflows."""
        spine = self._lead(i)
        if spine is None:
            return None
        value = self.values[spine[-1]] * factor
        if not math.isfinite(value):
            return None
        node = self.const(value)
        for k in reversed(spine[:-1]):
            node = self.make(self.ops[k], node, self.args[k][1])
        return node

    def _numbers(self, a: int, b: int, sign: float) -> int | None:
        """(p ± c1) ± c2 -> p ± (c1 ± c2) for numbers c1, c2."""
        if self.ops[b] != "const" or self.ops[a] not in ("add", "sub") or self.ops[self.args[a][1]] != "const":
            return None
        p, q = self.args[a]
        c = self.values[q] + (sign if self.ops[a] == "add" else -sign) * self.values[b]
        return self.make(self.ops[a], p, self.const(c))

    def _mul(self, a: int, b: int) -> int | None:
        if self._is(a, ZERO) or self._is(b, ZERO):
            return self.const(ZERO)
        if self._is(a, ONE):
            return b
        if self._is(b, ONE):
            return a
        if self._is(a, -ONE):
            return self.make("neg", b)
        if self._is(b, -ONE):
            return self.make("neg", a)
        if self.ops[b] == "const":
            return self.make("mul", b, a)
        if self.ops[a] == "const":  # 2*(3*u*v) -> 6*u*v
            scaled = self._scaled(b, self.values[a])
            if scaled is not None:
                return scaled
        if self.ops[b] == "mul" and self.ops[self.args[b][0]] == "const":  # numbers to the front
            inner, rest = self.args[b]
            if self.ops[a] == "const":
                return self.make("mul", self.make("mul", a, inner), rest)
            if self.ops[a] == "mul" and self.ops[self.args[a][0]] == "const":
                c, u = self.args[a]
                return self.make("mul", self.make("mul", self.make("mul", c, inner), u), rest)
            if self._order("mul", rest) < self._order("mul", a):  # u*(2*v) -> 2*v*u where (2*v)*u is the order
                a, rest = rest, a
            return self.make("mul", self.make("mul", inner, a), rest)
        minus = self._minus(a, b)
        if minus is not None:
            return minus("mul")
        if a == b:
            return self.make("pow", a, self.const(2.0))
        ea, u = self._power(a)
        eb, v = self._power(b)
        if u == v and (ea, eb) != (1.0, 1.0):
            return self.make("pow", u, self.const(ea + eb))
        return None

    def _div(self, a: int, b: int) -> int | None:
        if self._is(b, ONE):
            return a
        if self._is(b, -ONE):
            return self.make("neg", a)
        if self._is(a, ZERO):
            return self.const(ZERO)
        minus = self._minus(a, b)
        if minus is not None:
            return minus("div")
        if self.ops[a] == "div":  # (u/v)/v -> u/v**2
            u, first = self.args[a]
            e1, v = self._power(first)
            e2, w = self._power(b)
            if v == w and self.ops[v] != "const":
                return self.make("div", u, self.make("pow", v, self.const(e1 + e2)))
        return None

    def _minus(self, a: int, b: int):
        """For a product or quotient with a negated operand (`-u` either side, or `-2*u` on the right
        beside a node that is not a number): the minus taken outside (`-(a*b)`, where `_neg` puts it
        in a leading number if there is one), as a function of the op; or None. A left operand
        `-2*u` is left as it is: its minus is already in the product's leading number."""
        kinds = (self.ops[a], self.ops[b])
        if "const" in kinds or ("neg" not in kinds and "div" not in kinds):
            return None
        inner_a, inner_b = self.args[a][0] if kinds[0] == "neg" else None, self._negated(b)
        if inner_a is None and inner_b is None:
            return None
        if inner_a is not None and inner_b is not None:
            return lambda op: self.make(op, inner_a, inner_b)
        a, b = (a if inner_a is None else inner_a), (b if inner_b is None else inner_b)
        return lambda op: self.make("neg", self.make(op, a, b))

    def _pow(self, a: int, b: int) -> int | None:
        if self._is(b, ONE):
            return a
        if self._is(b, ZERO) or self._is(a, ONE):
            return self.const(ONE)
        return None

    def _log0(self, a: int) -> int | None:
        if self.ops[a] == "const" and self.values[a] > 0:
            return self.make("log", a)
        return None


# ---- programs in and out --------------------------------------------------------------------------


def from_graph(graph: Graph, expr: Expr | None = None) -> tuple[Expr, list[int]]:
    """The program's nodes in an Expr (simplified as they are made), and the node of each graph node.

    A node the program names (its latest assignment of that name) keeps the name for printing.
    """
    expr = Expr() if expr is None else expr
    ids = []
    for i, node in enumerate(graph.nodes):
        if node.op == "var":
            ids.append(expr.var(node.name))
        elif node.op == "const":
            ids.append(expr.const(node.value))
        else:
            ids.append(expr.make(node.op, *(ids[a] for a in node.args)))
            name = node.name
            if name is not None and graph.named.get(name) == i and expr.ops[ids[i]] not in ("var", "const"):
                expr.names.setdefault(ids[i], name)
    return expr, ids


def adjoints(expr: Expr, ops, args, ids, depends, output: int) -> dict[int, int]:
    """d output / d node as a node of `expr`, for every node that feeds `output` and depends on a variable.

    The program is given as lists (`ops[i]` on `args[i]`, nodes in topological order) with `ids[i]`
    the Expr node of program node i and `depends[i]` whether it depends on a variable: a parsed
    Graph (through `from_graph`), or an Expr itself (a derivative, differentiated again).
    """
    table = templates()
    make, const = expr.make, expr.const
    adjoint = {output: const(ONE)}
    for i in range(output, -1, -1):
        g = adjoint.get(i)
        if g is None or not depends[i] or not args[i]:
            continue
        node_args = args[i]
        slots = {"x": ids[node_args[0]], "y": ids[node_args[-1]], "out": ids[i]}
        rules = table[ops[i]]
        for k, a in enumerate(node_args):
            if not depends[a]:
                continue
            term = make("mul", rules[k].apply(make, const, slots), g)
            before = adjoint.get(a)
            adjoint[a] = term if before is None else make("add", before, term)
    return adjoint


def gradient(expr: Expr, output: int) -> dict[str, int]:
    """d output / d variable for every variable that `output` depends on, as nodes of `expr`."""
    identity = range(len(expr))
    found = adjoints(expr, expr.ops, expr.args, identity, expr.depends, output)
    return {expr.values[i]: g for i, g in sorted(found.items()) if expr.ops[i] == "var"}


def program_gradient(graph: Graph, output: int, expr: Expr | None = None) -> tuple[Expr, list[int], dict[str, int]]:
    """The program in an Expr, the Expr node of each graph node, and d output / d variable per variable.

    The backward pass runs over the program as written, as the engine's does (the same local
    derivatives, added up in the same order), so the gradients' values are the engine's.
    """
    from .autodiff import compiled

    expr, ids = from_graph(graph, expr)
    nodes = graph.nodes
    found = adjoints(expr, [n.op for n in nodes], [n.args for n in nodes], ids, compiled(graph).depends, output)
    grads = {name: found[i] for name, i in graph.variables.items() if i in found}
    return expr, ids, grads


def to_graph(expr: Expr, roots: list[tuple[str, int]]) -> tuple[Graph, dict[int, int]]:
    """The nodes the roots need, as a gradcli Graph (each root named, the last one its output), and
    the graph node of each Expr node: for the engine to evaluate and differentiate, and to draw."""
    from .graph import Node

    reach = expr.reached(node for _, node in roots)
    nodes, index, variables = [], {}, {}
    for i in range(len(expr)):
        if not reach[i]:
            continue
        op = expr.ops[i]
        index[i] = len(nodes)
        if op == "var":
            variables[expr.values[i]] = len(nodes)
            nodes.append(Node("var", (), expr.values[i]))
        elif op == "const":
            nodes.append(Node("const", (), None, value=expr.values[i]))
        else:
            nodes.append(Node(op, tuple(index[a] for a in expr.args[i])))
    graph = Graph(nodes, variables=variables)
    for name, node in roots:
        target = index[node]
        if nodes[target].name is not None or nodes[target].op in ("var", "const"):  # a second name: a node of its own
            nodes.append(Node("id", (target,), name))
            target = len(nodes) - 1
        nodes[target].name = name
        graph.named[name] = target
    graph.output = graph.named[roots[-1][0]] if roots else -1
    return graph, index
