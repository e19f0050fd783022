"""Program text -> Graph: Lark's LALR parser builds nodes as it reduces, then statements are linked.

The grammar is `grammar/gradcli.lark`. Nodes are made by an inline transformer during the parse
(no parse tree, no recursion), so each statement's nodes come out in post-order. Names are
resolved afterwards, because a name may be used before the statement that defines it.
"""

from __future__ import annotations

import bisect
import difflib
import re
from functools import lru_cache
from importlib import resources
from pathlib import Path

from lark import Lark, Transformer, UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from .errors import InputError, ParseError
from .graph import Graph, Node
from .ops import CONSTANTS, FUNCTIONS, OPS


def grammar_text() -> str:
    """The grammar, from inside the installed package or, in a checkout, from grammar/."""
    packaged = resources.files("gradcli").joinpath("gradcli.lark")
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    return (Path(__file__).resolve().parents[2] / "grammar" / "gradcli.lark").read_text(encoding="utf-8")


class _Builder(Transformer):
    """Called by the parser at each reduction; appends raw nodes and statements."""

    def reset(self, text: str) -> None:
        self.text = text
        self.nodes: list[Node] = []
        self.statements: list[tuple[str | None, int, int]] = []  # (name, root node, first node)
        self.first = 0  # index of the first node of the statement being parsed

    def _add(self, op, args, start, end, name=None, value=None) -> int:
        self.nodes.append(Node(op, args, name, start, end, value))
        return len(self.nodes) - 1

    def _binary(self, op, children):
        x, _, y = children
        return self._add(op, (x, y), self.nodes[x].start, self.nodes[y].end)

    def add(self, children):
        return self._binary("add", children)

    def sub(self, children):
        return self._binary("sub", children)

    def mul(self, children):
        return self._binary("mul", children)

    def div(self, children):
        return self._binary("div", children)

    def pow(self, children):
        return self._binary("pow", children)

    def neg(self, children):
        minus, x = children
        node = self.nodes[x]
        if node.op == "const" and x == len(self.nodes) - 1:  # -3 is the number -3
            node.value, node.start = -node.value, minus.start_pos
            return x
        return self._add("neg", (x,), minus.start_pos, node.end)

    def pos(self, children):
        return children[1]

    def paren(self, children):
        lpar, x, rpar = children
        self.nodes[x].start, self.nodes[x].end = lpar.start_pos, rpar.end_pos
        return x

    def number(self, children):
        (tok,) = children
        value = float(tok)
        if value == float("inf"):
            raise _error(self.text, tok.start_pos, f"the number {tok} is too large")
        return self._add("const", (), tok.start_pos, tok.end_pos, value=value)

    def name(self, children):
        (tok,) = children
        return self._add("ref", (), tok.start_pos, tok.end_pos, name=str(tok))

    def call(self, children):
        fname, _, *args, rpar = children
        if fname not in FUNCTIONS:
            close = difflib.get_close_matches(fname, FUNCTIONS, n=1)
            hint = f"did you mean {close[0]}?" if close else f"functions are {', '.join(FUNCTIONS)}"
            raise _error(self.text, fname.start_pos, f"unknown function {fname}; {hint}")
        op = OPS[FUNCTIONS[fname]]
        if len(args) != op.arity:
            want = f"{op.arity} argument{'s' if op.arity > 1 else ''}"
            raise _error(self.text, fname.start_pos, f"{fname} takes {want}, got {len(args)}")
        return self._add(op.name, tuple(args), fname.start_pos, rpar.end_pos)

    def assign(self, children):
        tok, root = children
        if tok in CONSTANTS:
            raise _error(self.text, tok.start_pos, f"{tok} is a built-in constant and cannot be assigned")
        self._statement(str(tok), root, tok.start_pos)

    def bare(self, children):
        self._statement(None, children[0], self.nodes[children[0]].start)

    def _statement(self, name, root, start):
        self.statements.append((name, root, self.first, start))
        self.first = len(self.nodes)


@lru_cache(maxsize=1)
def _parser() -> tuple[Lark, _Builder]:
    builder = _Builder()
    return Lark(grammar_text(), parser="lalr", transformer=builder, cache=True), builder


def _error(text: str, offset: int, message: str) -> ParseError:
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return ParseError(message, line, col, _context(text, offset))


def _context(text: str, offset: int) -> str:
    """The source line holding `offset` and a caret under its column."""
    start = text.rfind("\n", 0, offset) + 1
    end = text.find("\n", offset)
    line = text[start : end if end >= 0 else len(text)].rstrip("\r")
    col = offset - start
    if len(line) > 72:  # keep the caret's neighbourhood of a very long line
        cut = max(0, col - 36)
        line, col = ("..." if cut else "") + line[cut : cut + 72], col - cut + (3 if cut else 0)
    return f"  {line}\n  {' ' * col}^"


_NUMBER_BEFORE = re.compile(r"(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_TOKEN_WORDS = {
    "NUMBER": "a number", "NAME": "a name", "LPAR": "'('", "RPAR": "')'", "PLUS": "'+'", "MINUS": "'-'",
    "STAR": "'*'", "SLASH": "'/'", "POW": "'**'", "EQUAL": "'='", "COMMA": "','", "_SEP": "a new statement",
    "$END": "the end",
}  # fmt: skip


def _syntax_error(text: str, err: UnexpectedInput) -> ParseError:
    offset = err.pos_in_stream if err.pos_in_stream is not None else len(text)
    if isinstance(err, UnexpectedCharacters):
        ch = text[offset]
        message = f"unexpected character {ch!r}"
        if ch in "[{":
            message += "; use ( ) for grouping"
        elif ch == "=" and text[offset : offset + 2] == "==":
            message += "; a statement is NAME = expression"
        return _error(text, offset, message)
    token = err.token if isinstance(err, UnexpectedToken) else None
    if token is None or token.type == "$END":
        offset = len(text.rstrip())
        return _error(text, offset, "unexpected end of the program; an expression is incomplete")
    number = _NUMBER_BEFORE.search(text, 0, offset)
    if number and token.type in ("NAME", "LPAR") and number.end() == offset:
        rest = token if token.type == "NAME" else "(...)"
        return _error(text, offset, f"unexpected {token!s}; did you mean {number.group(0)}*{rest}?")
    expected = sorted({_TOKEN_WORDS.get(t, repr(t)) for t in err.expected if t in _TOKEN_WORDS})
    shown = "a new statement" if token.type == "_SEP" else repr(str(token))
    hint = f"; expected {' or '.join(expected)}" if 0 < len(expected) <= 4 else ""
    return _error(text, offset, f"unexpected {shown}{hint}")


def parse(text: str) -> Graph:
    """Parse a program and link its statements into a Graph (raises ParseError/InputError)."""
    lark, builder = _parser()
    builder.reset(text)
    try:
        lark.parse(text)
    except UnexpectedInput as err:
        raise _syntax_error(text, err) from None
    finally:
        nodes, statements = builder.nodes, builder.statements
        builder.reset("")
    if not statements:
        raise InputError("the program is empty: write an expression such as L = (a*b + c)*f")
    return _link(text, nodes, statements)


def _link(text: str, raw: list[Node], statements: list) -> Graph:
    """Resolve names, order statements by dependency and emit the final node list."""
    assigned: dict[str, list[int]] = {}
    for k, (name, *_rest) in enumerate(statements):
        if name is not None:
            assigned.setdefault(name, []).append(k)

    # Which statement (or variable) each reference means.
    target: dict[int, int | str] = {}  # raw ref index -> statement index, or name of a variable
    deps: list[list[int]] = [[] for _ in statements]
    first_seen: dict[str, int] = {}  # variable -> offset of its first appearance
    for k, (name, root, first, start) in enumerate(statements):
        if name is not None and _plain_number(raw, first, root):
            first_seen.setdefault(name, start)
        for i in range(first, root + 1):
            ref = raw[i]
            if ref.op != "ref":
                continue
            where = assigned.get(ref.name)
            if where is None:
                target[i] = ref.name
                if ref.name not in CONSTANTS:
                    first_seen.setdefault(ref.name, ref.start)
                continue
            if len(where) == 1:
                j = where[0]
                if j == k:
                    raise _error(text, ref.start, f"{ref.name} is defined in terms of itself")
            else:
                before = bisect.bisect_left(where, k)
                if not before:
                    raise _error(
                        text,
                        ref.start,
                        f"{ref.name} is assigned more than once and used here before its first assignment",
                    )
                j = where[before - 1]
            target[i] = j
            deps[k].append(j)

    order = _statement_order(text, statements, deps)

    nodes: list[Node] = []
    new: dict[int, int] = {}  # raw index -> final index
    roots: dict[int, int] = {}  # statement -> final index of its value
    variables: dict[str, int] = {}

    def variable(name: str, start: int, end: int, value=None) -> int:
        nodes.append(Node("var", (), name, start, end, value))
        variables[name] = len(nodes) - 1
        return variables[name]

    for k in order:
        name, root, first, start = statements[k]
        if name is not None and _plain_number(raw, first, root):
            roots[k] = variable(name, start, raw[root].end, raw[root].value)
            continue
        for i in range(first, root + 1):
            node = raw[i]
            if node.op == "ref":
                t = target[i]
                if isinstance(t, int):
                    new[i] = roots[t]
                elif t in CONSTANTS:
                    nodes.append(Node("const", (), None, node.start, node.end, CONSTANTS[t]))
                    new[i] = len(nodes) - 1
                else:
                    new[i] = variables[t] if t in variables else variable(t, node.start, node.end)
            else:
                node.args = tuple(new[a] for a in node.args)
                nodes.append(node)
                new[i] = len(nodes) - 1
        top = new[root]
        if name is not None:
            if raw[root].op == "ref":  # y = x: y is a node of its own
                nodes.append(Node("id", (top,), None, start, raw[root].end))
                top = len(nodes) - 1
            nodes[top].name = name
        roots[k] = top

    used = {j for d in deps for j in d}
    output = roots[[k for k in range(len(statements)) if k not in used][-1]]
    named = {name: roots[k] for k, (name, *_r) in enumerate(statements) if name is not None}
    order_vars = sorted(variables, key=lambda n: first_seen[n])
    return Graph(nodes, text, output, {n: variables[n] for n in order_vars}, named)


def _plain_number(raw: list[Node], first: int, root: int) -> bool:
    """A statement `a = 2` (or `b = -3`): its only node is a number literal."""
    return first == root and raw[root].op == "const"


def _statement_order(text: str, statements: list, deps: list[list[int]]) -> list[int]:
    """Statements in an order where each comes after those it uses; a cycle is an error."""
    n = len(statements)
    if all(j < k for k in range(n) for j in deps[k]):
        return list(range(n))
    state = [0] * n  # 0 new, 1 on the stack, 2 done
    order: list[int] = []
    for s in range(n):
        if state[s]:
            continue
        stack = [(s, iter(deps[s]))]
        state[s] = 1
        while stack:
            k, it = stack[-1]
            j = next(it, None)
            if j is None:
                stack.pop()
                state[k] = 2
                order.append(k)
            elif state[j] == 0:
                state[j] = 1
                stack.append((j, iter(deps[j])))
            elif state[j] == 1:
                path = [statements[m][0] for m, _ in stack[[m for m, _ in stack].index(j) :]]
                loop = " -> ".join(path + [statements[j][0]])
                raise _error(text, statements[j][3], f"cycle: {loop}")
    return order
