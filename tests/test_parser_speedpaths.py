"""The parser's fast lexer gives the same graphs and the same errors as Lark's own lexer.

`parse` feeds Lark's LALR parser from one compiled regex (`parser._Lexer`) instead of Lark's
standard lexer. Here the same grammar and builder run with Lark's standard lexer as the reference,
on tricky inputs and on random text.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lark import Lark

from gradcli import parser
from gradcli.errors import InputError, ParseError
from gradcli.parser import _Builder, _parse, grammar_text, parse


@pytest.fixture(scope="module")
def plain():
    """parse() through Lark's standard lexer (the one Lark picks for LALR by default)."""
    builder = _Builder()
    lark = Lark(grammar_text(), parser="lalr", transformer=builder)
    return lambda text: _parse(text, lark, builder)


def outcome(parse_function, text: str):
    """Everything a parse gives: the graph's nodes and names, or the error's message and place."""
    try:
        graph = parse_function(text)
    except ParseError as err:
        return ("syntax", str(err), err.line, err.column)
    except InputError as err:
        return ("input", str(err))
    nodes = [(n.op, n.args, n.name, n.start, n.end, n.value) for n in graph.nodes]
    return ("graph", nodes, graph.output, graph.variables, graph.named)


TRICKY = [
    "L=(a*b+c)*f",
    "e = a*b; d = e + c; L = d*f",
    "L = d*f\nd = e+c\ne = a*b",
    "c = a + b; c = c + c + 1",
    "x = 2**3**2 - -x**2 + 2^-1",
    "y = a**-b**c",
    "1e5 + 1E-5 + 1. + .5 + .5e-3 + 12.e+2 + 007",
    "_x1 + x_2 + __ + e + pi",
    "tanh(x1*w1 + x2*w2 + b)",
    "max(a, b) * min(a,b) + pow(a ,b)",
    "a\r\nb = a*2\r\n",
    "a \t\f+\tb",
    "\n\n;; a ;\n; b;\n\n",
    "a # comment ; not a separator\n# a whole line\nb # last, no newline",
    "a = 2\nb = -3\nL = a*b",
    "x = +-+-x",
    "((((a))))",
    "y = x",
    "3x",
    "2(x+1)",
    "a * (b",
    "a)",
    "a + * b",
    "a = = b",
    "x = ",
    "a;b c",
    "a ** ** b",
    "f(x)",
    "tanh(a, b)",
    "a [0]",
    "a == b",
    "a $ b",
    "a\n\n  b + é",
    "a\r\n\r\n  b + ?",
    "x = 1\n# comment\ny = x +\n",
    "pi = 3",
    "a = b; b = a",
    "x = x + 1",
    "y = x; x = 1; x = 2",
    "1e999",
    "",
    "   # nothing\n;",
]


@pytest.mark.parametrize("text", TRICKY)
def test_same_outcome_as_lark_lexer(plain, text):
    assert outcome(parse, text) == outcome(plain, text)


def test_tricky_inputs_cover_graphs_and_both_kinds_of_error(plain):
    kinds = {outcome(parse, text)[0] for text in TRICKY}
    assert kinds == {"graph", "syntax", "input"}


@pytest.mark.parametrize(
    ("text", "line", "column", "caret"),
    [
        ("a + b\nc = a $ b", 2, 7, "  c = a $ b\n        ^"),
        ("a\r\n\r\n  b + ?", 3, 7, "    b + ?\n        ^"),
        ("x = 1 # note\ny = * 2", 2, 5, "  y = * 2\n      ^"),
        ("tanh(a\n", 1, 7, "  tanh(a\n        ^"),
        ("a = 1\n\tb = 2x", 2, 7, "\tb = 2x\n        ^"),
    ],
)
def test_error_positions(text, line, column, caret):
    with pytest.raises(ParseError) as info:
        parse(text)
    assert (info.value.line, info.value.column) == (line, column)
    assert info.value.context.endswith(caret)


PIECES = ["a", "b1", "x_", "2", ".5", "1e-3", "3.", "e5", "pi", "tanh", "max", "(", ")", ",", "=", "+", "-", "*"]
PIECES += ["/", "**", "^", ";", "\n", "\r\n", " ", "\t", "# c\n", "#", "!", "é", "[", "=="]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=14))
def test_random_text_same_outcome(plain, pieces):
    text = "".join(pieces)
    assert outcome(parse, text) == outcome(plain, text)


@pytest.mark.parametrize("text", ["L = (a*b + c)*f", "a + * b", "tanhh(x)", ""])
def test_collector_is_paused_only_while_parsing(monkeypatch, text):
    import gc

    from gradcli.autodiff import Compiled

    seen = []
    _link = parser._link
    monkeypatch.setattr(parser, "_link", lambda *args: seen.append(gc.isenabled()) or _link(*args))
    for enabled in (True, False):
        (gc.enable if enabled else gc.disable)()
        try:
            graph = parse(text)
        except InputError:
            graph = None
        finally:
            after = gc.isenabled()
            gc.enable()
        assert after is enabled
        if graph is not None:
            (gc.enable if enabled else gc.disable)()
            program = Compiled(graph)
            program.backward_program(graph.output)
            assert gc.isenabled() is enabled
            gc.enable()
    assert seen in ([], [False, False])
