"""Program text -> Graph: Lark's LALR parser builds nodes as it reduces, then statements are linked.

The grammar is `grammar/gradcli.lark`. Nodes are made by an inline transformer during the parse
(no parse tree, no recursion), so each statement's nodes come out in post-order. Names are
resolved afterwards, because a name may be used before the statement that defines it.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import re
from functools import lru_cache
from pathlib import Path

from lark import Lark, Token, Transformer, UnexpectedCharacters, UnexpectedInput, UnexpectedToken
from lark import __version__ as lark_version
from lark.exceptions import LarkError
from lark.grammar import Rule
from lark.lexer import Lexer, TerminalDef

from . import cache
from .collector import collector_paused
from .errors import SHOWN, InputError, ParseError, shorten
from .graph import Graph, Node
from .ops import CONSTANTS, FUNCTIONS, OPS
from .suggest import did_you_mean

_INF = float("inf")


GRAMMAR = "gradcli.lark"
TABLE = "gradcli.lark.json"  # the parse table built from the grammar, shipped beside it
CACHED_TABLE = "parse-table.json"  # the same, built on this machine when Lark's version differs


def grammar_text() -> str:
    """The grammar."""
    return _shipped(GRAMMAR)


def _shipped(name: str) -> str:
    """A file of the grammar folder: beside this module in an installed wheel, in grammar/ in a checkout."""
    here = Path(__file__).resolve()
    for path in (here.with_name(name), here.parents[2] / "grammar" / name):
        if path.is_file():
            return path.read_text(encoding="utf-8")
    from importlib import resources  # a zipped install; a costly import, so only here

    return resources.files("gradcli").joinpath(name).read_text(encoding="utf-8")


class _Lexer(Lexer):
    """Every token of a program from one compiled regex: the grammar's terminals, in Lark's order.

    Lark's own lexers spend several calls per token matching terminals and counting lines; this
    one is a single `finditer` pass, and its tokens carry character offsets only (spans and error
    messages use offsets). Lark's LALR parser takes these tokens as it takes its own.

    The tokens come from C iterators (`filter` over `map`), not a generator: a generator still
    suspended when the parse fails is closed when the failure lets go of it, and out of memory
    that close fails too, which Python can only print ("Exception ignored in: <generator ...>",
    a traceback). An iterator written in C is freed without running any code.
    """

    __future_interface__ = 2  # lex(lexer_state, parser_state), the text being a lark TextSlice

    def __init__(self, conf):
        # Lark's basic lexer tries terminals in this order; the first alternative that matches wins.
        terminals = sorted(
            conf.terminals, key=lambda t: (-t.priority, -t.pattern.max_width, -len(t.pattern.value), t.name)
        )
        named = "|".join(f"(?P<{t.name}>{t.pattern.to_regexp()})" for t in terminals)
        self.regex = re.compile(named + "|(?s:.)")  # the unnamed last resort: any other character
        self.token = _token_maker(frozenset(conf.ignore))

    def lex(self, state, parser_state):
        text = state.text
        return filter(None, map(self.token, self.regex.finditer(text.text, text.start, text.end)))


def _token_maker(ignore: frozenset, new=str.__new__):
    """The function from a regex match to its token (None for white space and comments)."""

    def token(match):
        kind = match.lastgroup
        if kind in ignore:
            return None
        if kind is None:
            text, offset = match.string, match.start()
            line = text.count("\n", 0, offset) + 1
            raise UnexpectedCharacters(text, offset, line, offset - text.rfind("\n", 0, offset))
        # Token(kind, value, start, ..., end) without its two Python-level constructor calls.
        value = match.group()
        token = new(Token, value)
        token.type, token.value, token.start_pos, token.end_pos = kind, value, match.start(), match.end()
        token.line = token.column = token.end_line = token.end_column = None
        return token

    return token


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
            raise _error(self.text, tok.start_pos, f"the number {shorten(tok.value)} is too large")
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
            hint = did_you_mean(fname.value, FUNCTIONS) or f"; functions are {', '.join(FUNCTIONS)}"
            raise _error(self.text, fname.start_pos, f"unknown function {shorten(fname.value)}{hint}")
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
            raise _error(self.text, tok.start_pos, f"{tok.value} is a built-in constant and cannot be assigned")
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
    """Lark's LALR parser for the grammar, and the builder its reductions call.

    The parse table is JSON data, never a pickle, so no file can make loading it run code: the
    table shipped with gradcli when it was built from this grammar by this version of Lark; else
    one built on this machine and kept in the user's private cache folder (see `cache`); else a
    fresh build (about 40 ms), which is then kept there.
    """
    builder = _Builder()
    grammar = grammar_text()
    key = table_key(grammar)
    lark = _load_table(_shipped_table(), key, builder) or _load_table(cache.read(CACHED_TABLE), key, builder)
    if lark is None:
        lark = _build(grammar, builder)
        cache.write(CACHED_TABLE, table_json(lark, key).encode())
    return lark, builder


def _build(grammar: str, builder: _Builder) -> Lark:
    return Lark(grammar, parser="lalr", lexer=_Lexer, transformer=builder)


def terminal(name: str) -> str:
    """The regular expression of the grammar's terminal `name` (NUMBER: how the language writes a number)."""
    return _parser()[0].get_terminal(name).pattern.to_regexp()


def fresh_table() -> str:
    """The parse table JSON, built from the grammar now (`python grammar/build_table.py` ships it)."""
    grammar = grammar_text()
    return table_json(_build(grammar, _Builder()), table_key(grammar))


def table_key(grammar: str) -> str:
    """What a parse table is valid for: this grammar, built by this version of Lark."""
    return hashlib.sha256(f"{grammar}\0lark {lark_version}\0json 1".encode()).hexdigest()


def table_json(lark: Lark, key: str) -> str:
    """Lark's own serial form of its parse table, as JSON (the lexer class and builder are put back on loading)."""
    data, memo = lark.memo_serialize([TerminalDef, Rule])
    data["options"] |= {"lexer": "gradcli", "transformer": None}
    data["parser"]["lexer_conf"]["lexer_type"] = "gradcli"
    grammar = hashlib.sha256(lark.source_grammar.encode()).hexdigest()
    record = {"key": key, "grammar": grammar, "lark": lark_version, "data": data, "memo": memo}
    return json.dumps(record, sort_keys=True)


def _shipped_table() -> str | None:
    """The parse table shipped beside the grammar, or None when it is missing."""
    try:
        return _shipped(TABLE)
    except OSError:
        return None


def _load_table(text: str | bytes | None, key: str, builder: _Builder) -> Lark | None:
    """The parser from a table made by `table_json` for `key`; None for anything else."""
    if text is None:
        return None
    try:
        record = json.loads(text, object_hook=_int_keys)
        if record["key"] != key:
            return None
        data = record["data"]
        data["options"]["lexer"] = data["parser"]["lexer_conf"]["lexer_type"] = _Lexer
        return Lark._load_from_dict(data, record["memo"], transformer=builder)
    except (ValueError, KeyError, TypeError, AttributeError, IndexError, LarkError):
        return None


def _int_keys(pairs: dict) -> dict:
    """JSON writes the table's integer keys (states, tokens, memo ids) as text: read them back as integers."""
    return {int(k) if k.isascii() and k.isdecimal() else k: v for k, v in pairs.items()}


def _error(text: str, offset: int, message: str) -> ParseError:
    return ParseError(message, *_position(text, offset), _context(text, offset))


def _position(text: str, offset: int) -> tuple[int, int]:
    """(line, column), both from 1."""
    return text.count("\n", 0, offset) + 1, offset - (text.rfind("\n", 0, offset) + 1) + 1


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


_TOKEN_WORDS = {
    "NUMBER": "a number", "NAME": "a name", "LPAR": "'('", "RPAR": "')'", "PLUS": "'+'", "MINUS": "'-'",
    "STAR": "'*'", "SLASH": "'/'", "POW": "'**'", "EQUAL": "'='", "COMMA": "','", "SEP": "a new statement",
    "$END": "the end",
}  # fmt: skip
#: Characters of mathematics pasted from a document or a web page, and what to write instead.
_PASTED = {
    "\u2212": "use - for minus", "\u2013": "use - for minus", "\u2014": "use - for minus",
    "\u00d7": "use * to multiply", "\u00b7": "use * to multiply", "\u22c5": "use * to multiply",
    "\u2219": "use * to multiply", "\u2217": "use * to multiply", "\u00f7": "use / to divide",
    "\u2215": "use / to divide", "\u221a": "write sqrt(x)",
}  # fmt: skip
_SUPERSCRIPTS = "\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079\u207b\u207a"
_TO_ASCII = str.maketrans(_SUPERSCRIPTS, "0123456789-+")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NAME_AT_END = re.compile(r"[A-Za-z0-9_]+\Z")


def _syntax_error(text: str, err: UnexpectedInput) -> ParseError:
    """The message for a syntax error, with a hint where a likely slip is recognised.

    Every hint looks at the tokens on either side of the error or at a few characters around
    it, never at the whole text, so that no input can make a message slow to write.
    """
    offset = err.pos_in_stream if err.pos_in_stream is not None else len(text)
    if isinstance(err, UnexpectedCharacters):
        return _error(text, offset, _unexpected_character(text, offset))
    token = err.token if isinstance(err, UnexpectedToken) else None
    if token is None or token.type == "$END":
        offset = len(text.rstrip())
        return _error(text, offset, "unexpected end of the program; an expression is incomplete")
    shown = "a new statement" if token.type == "SEP" else repr(shorten(token.value, 20))
    before = _token_before(err)
    if before is not None and before.end_pos == offset and before.type == "NUMBER" and token.type in ("NAME", "LPAR"):
        word = shorten(token.value, 20)
        rest = word if token.type == "NAME" else "(...)"
        return _error(text, offset, f"unexpected {word}; did you mean {shorten(before.value, 20)}*{rest}?")
    if before is not None and before.type == "NAME" and before.value in FUNCTIONS and token.type in ("NAME", "NUMBER"):
        return _error(text, offset, f"unexpected {shown}; write {before.value}({shorten(token.value, 20)})")
    expected = sorted({_TOKEN_WORDS.get(t, repr(t)) for t in err.expected if t in _TOKEN_WORDS})
    hint = f"; expected {' or '.join(expected)}" if 0 < len(expected) <= 4 else ""
    return _error(text, offset, f"unexpected {shown}{hint}")


def _token_before(err: UnexpectedInput) -> Token | None:
    """The token the parser took just before the unexpected one, if it is still a token on its stack."""
    stack = getattr(getattr(err, "state", None), "value_stack", None)
    return stack[-1] if stack and isinstance(stack[-1], Token) else None


def _unexpected_character(text: str, offset: int) -> str:
    ch = text[offset]
    message = f"unexpected character {ch!r}"
    if ch in "[{":
        return message + "; use ( ) for grouping"
    if ch == "=" and text[offset : offset + 2] == "==":
        return message + "; a statement is NAME = expression"
    if ch in _PASTED:
        return f"{message}; {_PASTED[ch]}"
    chunk = text[offset : offset + 8]
    power = chunk[: len(chunk) - len(chunk.lstrip(_SUPERSCRIPTS))].translate(_TO_ASCII)
    if power:
        return f"{message}; use **{power if len(power) == 1 else f'({power})'} for a power"
    if ch.isdigit():
        return message + "; write numbers with the digits 0-9"
    method = _NAME.match(text, offset + 1, offset + 1 + 64) if ch == "." else None
    if method and method.group() in FUNCTIONS and text[method.end() : method.end() + 1] == "(":
        window = max(0, offset - 20)  # the receiver is looked for among a few characters: bounded work
        receiver = _NAME_AT_END.search(text, window, offset)
        shown = receiver.group() if receiver and (receiver.start() > window or window == 0) else "..."
        return f"{message}; write {method.group()}({shown})"
    return message


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
            if name in first_seen:  # one variable, one value: `x = 1; ...; x = 2` would make two
                line, column = _position(text, first_seen[name])
                raise _error(
                    text,
                    start,
                    f"{shorten(name)} is assigned a number again (first at line {line}, column {column}): a name "
                    "assigned a number is a variable, with one value in the whole program; rename one of the two",
                )
            first_seen[name] = start
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
                raise _error(text, ref.start, f"{shorten(ref.name)} is defined in terms of itself")
        else:
            before = bisect.bisect_left(where, k)
            if not before:
                raise _error(
                    text,
                    ref.start,
                    f"{shorten(ref.name)} is assigned more than once and used here before its first assignment",
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
                path = [shorten(statements[m][0]) for m, _ in stack[[m for m, _ in stack].index(j) :]]
                if len(path) > SHOWN:
                    path = path[: SHOWN // 2] + [f"... ({len(path) - SHOWN:,} more)"] + path[-SHOWN // 2 :]
                loop = " -> ".join(path + [path[0]])
                raise _error(text, statements[j][3], f"cycle: {loop}")
    return order
