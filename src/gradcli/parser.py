"""Program text -> Graph: Lark's LALR parser builds nodes as it reduces, then statements are linked.

The grammar is `grammar/gradcli.lark`. Nodes are made by an inline transformer during the parse
(no parse tree, no recursion), so each statement's nodes come out in post-order. Names are
resolved afterwards, because a name may be used before the statement that defines it.
"""

from __future__ import annotations

import bisect
import os
import re
from functools import lru_cache
from pathlib import Path

from lark import Lark, Token, Transformer, UnexpectedCharacters, UnexpectedInput, UnexpectedToken
from lark.lexer import Lexer

from .engine import collector_paused
from .errors import InputError, ParseError
from .graph import Graph, Node
from .ops import CONSTANTS, FUNCTIONS, OPS

_INF = float("inf")


def grammar_text() -> str:
    """The grammar: beside this module in an installed wheel, in grammar/ in a checkout."""
    here = Path(__file__).resolve()
    for path in (here.with_name("gradcli.lark"), here.parents[2] / "grammar" / "gradcli.lark"):
        if path.is_file():
            return path.read_text(encoding="utf-8")
    from importlib import resources  # a zipped install; a costly import, so only here

    return resources.files("gradcli").joinpath("gradcli.lark").read_text(encoding="utf-8")


class _Lexer(Lexer):
    """Every token of a program from one compiled regex: the grammar's terminals, in Lark's order.

    Lark's own lexers spend several calls per token matching terminals and counting lines; this
    one is a single `finditer` pass, and its tokens carry character offsets only (spans and error
    messages use offsets). Lark's LALR parser takes these tokens as it takes its own.
    """

    __future_interface__ = 2  # lex(lexer_state, parser_state), the text being a lark TextSlice

    def __init__(self, conf):
        # Lark's basic lexer tries terminals in this order; the first alternative that matches wins.
        terminals = sorted(
            conf.terminals, key=lambda t: (-t.priority, -t.pattern.max_width, -len(t.pattern.value), t.name)
        )
        named = "|".join(f"(?P<{t.name}>{t.pattern.to_regexp()})" for t in terminals)
        self.regex = re.compile(named + "|(?s:.)")  # the unnamed last resort: any other character
        self.ignore = frozenset(conf.ignore)

    def lex(self, state, parser_state):
        text, ignore, new = state.text.text, self.ignore, str.__new__
        for match in self.regex.finditer(text, state.text.start, state.text.end):
            kind = match.lastgroup
            if kind in ignore:
                continue
            if kind is None:
                offset = match.start()
                line = text.count("\n", 0, offset) + 1
                raise UnexpectedCharacters(text, offset, line, offset - text.rfind("\n", 0, offset))
            # Token(kind, value, start, ..., end) without its two Python-level constructor calls.
            value = match.group()
            token = new(Token, value)
            token.type, token.value, token.start_pos, token.end_pos = kind, value, match.start(), match.end()
            token.line = token.column = token.end_line = token.end_column = None
            yield token


def _binary(op: str):
    """The builder's method for a binary operator rule (`add`, `mul`, ...)."""

    def method(self, children):
        x, _, y = children
        nodes = self.nodes
        nodes.append(Node(op, (x, y), None, nodes[x].start, nodes[y].end))
        return len(nodes) - 1

    method.__name__ = op
    return method


class _Builder(Transformer):
    """Called by the parser at each reduction; appends raw nodes and statements.

    A 1,000,000-node program makes about as many calls, so each method appends its node itself.
    """

    def reset(self, text: str) -> None:
        self.text = text
        self.nodes: list[Node] = []
        self.statements: list[tuple[str | None, int, int, int]] = []  # (name, root node, first node, offset)
        self.first = 0  # index of the first node of the statement being parsed

    add, sub, mul, div, pow = (_binary(op) for op in ("add", "sub", "mul", "div", "pow"))

    def neg(self, children):
        minus, x = children
        nodes = self.nodes
        node = nodes[x]
        if node.op == "const" and x == len(nodes) - 1:  # -3 is the number -3
            node.value, node.start = -node.value, minus.start_pos
            return x
        nodes.append(Node("neg", (x,), None, minus.start_pos, node.end))
        return len(nodes) - 1

    def pos(self, children):
        return children[1]

    def paren(self, children):
        lpar, x, rpar = children
        self.nodes[x].start, self.nodes[x].end = lpar.start_pos, rpar.end_pos
        return x

    def number(self, children):
        (tok,) = children
        value = float(tok)
        if value == _INF:
            raise _error(self.text, tok.start_pos, f"the number {tok} is too large")
        nodes = self.nodes
        nodes.append(Node("const", (), None, tok.start_pos, tok.end_pos, value))
        return len(nodes) - 1

    def name(self, children):
        (tok,) = children
        nodes = self.nodes
        nodes.append(Node("ref", (), tok.value, tok.start_pos, tok.end_pos))
        return len(nodes) - 1

    def call(self, children):
        fname, _, *args, rpar = children
        if fname.value not in FUNCTIONS:
            import difflib  # only for this message: not at start-up

            close = difflib.get_close_matches(fname, FUNCTIONS, n=1)
            hint = f"did you mean {close[0]}?" if close else f"functions are {', '.join(FUNCTIONS)}"
            raise _error(self.text, fname.start_pos, f"unknown function {fname}; {hint}")
        op = OPS[FUNCTIONS[fname.value]]
        if len(args) != op.arity:
            want = f"{op.arity} argument{'s' if op.arity > 1 else ''}"
            raise _error(self.text, fname.start_pos, f"{fname} takes {want}, got {len(args)}")
        nodes = self.nodes
        nodes.append(Node(op.name, tuple(args), None, fname.start_pos, rpar.end_pos))
        return len(nodes) - 1

    def assign(self, children):
        tok, _, root = children
        if tok.value in CONSTANTS:
            raise _error(self.text, tok.start_pos, f"{tok} is a built-in constant and cannot be assigned")
        self._statement(tok.value, root, tok.start_pos)

    def bare(self, children):
        self._statement(None, children[0], self.nodes[children[0]].start)

    def _statement(self, name, root, start):
        self.statements.append((name, root, self.first, start))
        self.first = len(self.nodes)

    def lines(self, children):
        """A statement has been recorded by assign/bare: nothing to keep on the parser's stack."""

    start = lines


@lru_cache(maxsize=1)
def _parser() -> tuple[Lark, _Builder]:
    builder = _Builder()
    return Lark(grammar_text(), parser="lalr", lexer=_Lexer, transformer=builder, cache=_cache_file()), builder


def _cache_file() -> str | bool:
    """Where Lark keeps the compiled parse table: a private folder of the user's, never the shared
    temporary folder (Lark's cache is a pickle, and a planted one would run code). False: no cache."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    folder = os.path.join(base, "gradcli")
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        if os.stat(folder).st_uid != os.getuid():
            return False
    except OSError:
        return False
    return os.path.join(folder, "grammar.lark-cache")  # Lark checks its hash of grammar and options


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


_NUMBER_BEFORE = r"(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"  # compiled by re when an error needs it
_TOKEN_WORDS = {
    "NUMBER": "a number", "NAME": "a name", "LPAR": "'('", "RPAR": "')'", "PLUS": "'+'", "MINUS": "'-'",
    "STAR": "'*'", "SLASH": "'/'", "POW": "'**'", "EQUAL": "'='", "COMMA": "','", "SEP": "a new statement",
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
    number = re.compile(_NUMBER_BEFORE).search(text, 0, offset)
    if number and token.type in ("NAME", "LPAR") and number.end() == offset:
        rest = token if token.type == "NAME" else "(...)"
        return _error(text, offset, f"unexpected {token!s}; did you mean {number.group(0)}*{rest}?")
    expected = sorted({_TOKEN_WORDS.get(t, repr(t)) for t in err.expected if t in _TOKEN_WORDS})
    shown = "a new statement" if token.type == "SEP" else repr(str(token))
    hint = f"; expected {' or '.join(expected)}" if 0 < len(expected) <= 4 else ""
    return _error(text, offset, f"unexpected {shown}{hint}")


def parse(text: str) -> Graph:
    """Parse a program and link its statements into a Graph (raises ParseError/InputError)."""
    return _parse(text, *_parser())


def _parse(text: str, lark: Lark, builder: _Builder) -> Graph:
    builder.reset(text)
    with collector_paused():  # millions of new objects, no cycles: collections would only rescan them
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
    for name, root, first, start in statements:
        if name is not None and _plain_number(raw, first, root):
            first_seen.setdefault(name, start)
    k = 0  # the statement holding ref i: statements cover the raw nodes in order
    for i in [i for i, node in enumerate(raw) if node.op == "ref"]:
        while statements[k][1] < i:
            k += 1
        ref = raw[i]
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
                    text, ref.start, f"{ref.name} is assigned more than once and used here before its first assignment"
                )
            j = where[before - 1]
        target[i] = j
        deps[k].append(j)

    order = _statement_order(text, statements, deps)

    nodes: list[Node] = []
    append = nodes.append
    new = [0] * len(raw)  # raw index -> final index
    roots = [0] * len(statements)  # statement -> final index of its value
    variables: dict[str, int] = {}

    def variable(name: str, start: int, end: int, value=None) -> int:
        variables[name] = len(nodes)
        append(Node("var", (), name, start, end, value))
        return variables[name]

    for k in order:
        name, root, first, start = statements[k]
        if name is not None and _plain_number(raw, first, root):
            roots[k] = variable(name, start, raw[root].end, raw[root].value)
            continue
        for i in range(first, root + 1):
            node = raw[i]
            if node.op != "ref":
                if node.args:
                    node.args = tuple(map(new.__getitem__, node.args))
                new[i] = len(nodes)
                append(node)
                continue
            t = target[i]
            if isinstance(t, int):
                new[i] = roots[t]
            elif t in CONSTANTS:
                new[i] = len(nodes)
                append(Node("const", (), None, node.start, node.end, CONSTANTS[t]))
            else:
                new[i] = variables[t] if t in variables else variable(t, node.start, node.end)
        top = new[root]
        if name is not None:
            if raw[root].op == "ref":  # y = x: y is a node of its own
                top = len(nodes)
                append(Node("id", (new[root],), None, start, raw[root].end))
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
