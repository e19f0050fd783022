"""The language (README.md, "The language"): numbers, precedence, names, statements, output, errors."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gradcli.autodiff import evaluate, gradients
from gradcli.errors import InputError, ParseError
from gradcli.parser import parse
from gradcli.program import parse_number


def value(program: str, **bindings: float) -> float:
    graph = parse(program)
    return evaluate(graph, graph.defaults() | bindings)[graph.output]


def grads(program: str, **bindings: float) -> dict[str, float]:
    graph = parse(program)
    values = evaluate(graph, graph.defaults() | bindings)
    g = gradients(graph, values)
    return {name: g[i] for name, i in (graph.variables | graph.named).items()}


@pytest.mark.parametrize(
    "program,expected",
    [
        ("2", 2.0),
        ("1.5", 1.5),
        (".5", 0.5),
        ("1e-3", 0.001),
        ("6.8814", 6.8814),
        ("2E+2", 200.0),
        ("-3", -3.0),
        ("- 3", -3.0),
        ("--3", 3.0),
        ("+3", 3.0),
        ("pi", math.pi),
        ("-2**2", -4.0),
        ("(-2)**2", 4.0),
        ("2**3**2", 512.0),
        ("2^3^2", 512.0),
        ("2**-1", 0.5),
        ("-2**-2", -0.25),
        ("10-4-3", 3.0),
        ("2*3+4*5", 26.0),
        ("2+3*4", 14.0),
        ("(2+3)*4", 20.0),
        ("8/4/2", 1.0),
        ("2*3**2", 18.0),
        ("pow(2, 10)", 1024.0),
        ("max(1, 2) + min(1, 2)", 3.0),
        ("1 # a comment\n", 1.0),
    ],
)
def test_numbers_precedence_and_associativity(program, expected):
    assert value(program) == expected


def test_unary_minus_binds_looser_than_power_on_variables():
    assert value("-x**2", x=3.0) == -9.0
    assert value("(-x)**2", x=3.0) == 9.0


def test_e_is_an_ordinary_name():
    graph = parse("L = e*2")
    assert list(graph.variables) == ["e"]
    assert value("L = e*2", e=3.0) == 6.0


def test_statements_separated_by_semicolons_newlines_and_blank_lines():
    program = "\n\n# setup\ne = a*b;  d = e + c\n\n\nL = d*f # the output\n;\n"
    assert value(program, a=2.0, b=-3.0, c=10.0, f=-2.0) == -8.0


def test_windows_line_endings():
    assert value("a = 2\r\nL = a*3\r\n") == 6.0


def test_named_intermediates_and_seed_gradients():
    g = grads("e=a*b; d=e+c; L=d*f", a=2.0, b=-3.0, c=10.0, f=-2.0)
    assert g == {"a": 6.0, "b": -4.0, "c": -2.0, "f": 4.0, "e": -2.0, "d": -2.0, "L": 1.0}


def test_definitions_in_any_order_give_the_same_program():
    forward = parse("e = a*b; d = e + c; L = d*f")
    backward = parse("L = d*f; d = e + c; e = a*b")
    assert [(n.op, n.args, n.name) for n in forward.nodes] == [(n.op, n.args, n.name) for n in backward.nodes]
    assert backward.output == forward.output
    assert list(backward.variables) == ["f", "c", "a", "b"]  # order of first appearance in the text
    assert grads("L = d*f; d = e + c; e = a*b", a=2.0, b=-3.0, c=10.0, f=-2.0)["a"] == 6.0


def test_reassignment_follows_python():
    # c = a + b = 5; c = c + c + 1 = 11; the output is the last c
    graph = parse("c = a + b; c = c + c + 1")
    values = evaluate(graph, {"a": 2.0, "b": 3.0})
    assert values[graph.output] == 11.0
    assert graph.named["c"] == graph.output
    assert graph.labels()[graph.nodes.index(next(n for n in graph.nodes if n.op == "add"))] == "c#1"
    assert grads("c = a + b; c = c + c + 1", a=2.0, b=3.0)["a"] == 2.0


def test_reassigned_name_used_later_refers_to_latest_assignment_above():
    assert value("x = 1; y = x*10; x = x + 1; z = x + y") == 12.0
    assert value("x = 1; y = x*10; x = x + 1; z = x + y", x=5.0) == 56.0  # the binding sets the first x


@pytest.mark.parametrize(
    "program,column",
    [
        ("x=1; y=x*10; x=2; z=y+x", 14),  # before: y used x = 1 while --x 5 set only the second x
        ("x = 1\nx = 1", 1),
        ("x = 2*a; x = -3; x = 4", 18),
    ],
)
def test_a_name_assigned_a_number_twice_is_an_error_naming_both_places(program, column):
    with pytest.raises(ParseError) as info:
        parse(program)
    first = program.index("x = -3") if "-3" in program else 0
    assert str(info.value).startswith(f"x is assigned a number again (first at line 1, column {first + 1})")
    assert (info.value.line, info.value.column) == (program.count("\n") + 1, column)


def test_variables_with_default_values_and_overrides():
    graph = parse("a = 2\nb = -3\nL = a*b")
    assert graph.defaults() == {"a": 2.0, "b": -3.0}
    assert list(graph.variables) == ["a", "b"]
    assert value("a = 2\nb = -3\nL = a*b") == -6.0
    assert value("a = 2\nb = -3\nL = a*b", a=5.0) == -15.0


def test_a_computed_constant_is_not_a_variable():
    graph = parse("k = 2*3; L = k*x")
    assert list(graph.variables) == ["x"]
    assert value("k = 2*3; L = k*x", x=2.0) == 12.0


def test_alias_statement_is_its_own_node():
    g = grads("y = x; L = y*y", x=3.0)
    assert g == {"x": 6.0, "y": 6.0, "L": 1.0}


@pytest.mark.parametrize(
    "program,output",
    [
        ("L = d*f; d = e + c; e = a*b", "L"),
        ("y = a*2; z = a + 1", "z"),  # several unused: the last
        ("a*b", None),  # a bare expression has no name
        ("u = x*x; u + 1", None),
        ("u = x*x; u + 1; w = u*3", "w"),
    ],
)
def test_output_is_the_statement_no_other_uses(program, output):
    graph = parse(program)
    assert graph.nodes[graph.output].name == output


def test_pi_is_a_constant_not_a_variable():
    graph = parse("L = 2*pi*r")
    assert list(graph.variables) == ["r"]
    assert value("L = 2*pi*r", r=1.0) == 2 * math.pi


@pytest.mark.parametrize(
    "program,message,line,column",
    [
        ("a = b; b = a", "cycle: a -> b -> a", 1, 1),
        ("x = x + 1", "x is defined in terms of itself", 1, 5),
        ("c = c + 1; c = 2*c", "c is assigned more than once and used here before its first assignment", 1, 5),
        ("y = c; c = 1; c = c + 1", "c is assigned more than once and used here before its first assignment", 1, 5),
        ("pi = 3", "pi is a built-in constant and cannot be assigned", 1, 1),
        ("tanhh(x)", "unknown function tanhh; did you mean tanh?", 1, 1),
        ("frobnicate(x)", "unknown function frobnicate; functions are", 1, 1),
        ("max(x)", "max takes 2 arguments, got 1", 1, 1),
        ("tanh(x, y)", "tanh takes 1 argument, got 2", 1, 1),
        ("2x + 1", "unexpected x; did you mean 2*x?", 1, 2),
        ("3(x + 1)", "unexpected (; did you mean 3*(...)?", 1, 2),
        ("a * * b", "unexpected '*'", 1, 5),
        ("a +", "unexpected end of the program", 1, 4),
        ("(a + b", "unexpected end of the program", 1, 7),
        ("a $ b", "unexpected character '$'", 1, 3),
        ("a = [1]", "unexpected character '['; use ( ) for grouping", 1, 5),
        ("L = 1e999 * x", "the number 1e999 is too large", 1, 5),
        ("x = 1\ny = x +* 2", "unexpected '*'", 2, 8),
    ],
)
def test_errors_name_the_place(program, message, line, column):
    with pytest.raises(ParseError) as info:
        parse(program)
    err = info.value
    assert message in str(err)
    assert (err.line, err.column) == (line, column)
    source_line = program.split("\n")[line - 1]
    assert err.context == f"  {source_line}\n  {' ' * (column - 1)}^"


@pytest.mark.parametrize("program", ["", "   ", "# only a comment", ";;\n;"])
def test_empty_program_is_an_input_error(program):
    with pytest.raises(InputError, match="the program is empty"):
        parse(program)


def test_long_line_context_keeps_the_caret_under_the_error():
    program = "x + " * 40 + "$ + y"
    with pytest.raises(ParseError) as info:
        parse(program)
    line, caret = info.value.context.split("\n")
    assert line[caret.index("^")] == "$"


# ---- size and depth: nothing recurses over the graph -------------------------------------------
# (a 100,000-statement program is tested through the command line, in test_reliability_size.py)


def test_twenty_thousand_deep_parentheses():
    depth = 20_000
    program = "(" * depth + "x" + "*1.0001)" * depth  # nested products
    graph = parse(program)
    values = evaluate(graph, {"x": 1.0})
    assert gradients(graph, values)[graph.variables["x"]] == pytest.approx(1.0001**depth, rel=1e-9)


def test_twenty_thousand_deep_unary_and_function_nesting():
    depth = 20_000
    program = "-" * depth + "tanh(" * depth + "x" + ")" * depth
    graph = parse(program)
    values = evaluate(graph, {"x": 0.5})
    assert math.isfinite(gradients(graph, values)[graph.variables["x"]])


@pytest.mark.slow
def test_hundred_thousand_term_sum():
    n = 100_000
    program = " + ".join(f"a{i}*b{i}" for i in range(n // 2))
    graph = parse(program)
    bindings = {name: 1.0 + (k % 7) for k, name in enumerate(graph.variables)}
    values = evaluate(graph, bindings)
    g = gradients(graph, values)
    assert g[graph.variables["a0"]] == bindings["b0"]
    assert g[graph.variables[f"b{n // 2 - 1}"]] == bindings[f"a{n // 2 - 1}"]


# ---- a binding's value is a number as the program writes one ---------------------------------


@given(
    st.sampled_from(["", "-", "+"]),
    st.text(alphabet="0123456789.eE_", min_size=1, max_size=3),
    st.text(alphabet="0123456789.eE_+-\u0663", max_size=5),
)
def test_a_binding_is_read_as_the_program_reads_a_number(sign, head, tail):
    """`--x TEXT` takes exactly the numbers that `x = TEXT` assigns (both read the grammar's NUMBER)."""
    text = sign + head + tail
    try:
        value = parse_number(text, "--x")
    except InputError:
        value = None
    try:
        assigned = parse(f"x = {text}").defaults().get("x")
    except InputError:
        assigned = None
    assert value == assigned, text
