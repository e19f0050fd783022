"""`gradcli eval` through the real entry point: exact text, binding forms, sources, errors."""

from __future__ import annotations

import json

import pytest

SEED = ("L=(a*b+c)*f", "--a", "2", "--b", "-3", "--c", "10", "--f", "-2")
NAMED = ("e=a*b; d=e+c; L=d*f", "--a", "2", "--b", "-3", "--c", "10", "--f", "-2")
NEURON = ("o=tanh(x1*w1 + x2*w2 + b)", "--x1", "2", "--x2", "0", "--w1", "-3", "--w2", "1", "--b", "6.881373587019543")

SEED_TABLE = """\
node   op    definition     value   dL/d(node)
──────────────────────────────────────────────
a      var   input         2.0000       6.0000
b      var   input        -3.0000      -4.0000
c      var   input        10.0000      -2.0000
f      var   input        -2.0000       4.0000
L       *    (a*b+c)*f    -8.0000       1.0000
"""

NAMED_TABLE_ALL_2DP = """\
node   op    definition   value   dL/d(node)
────────────────────────────────────────────
a      var   input         2.00         6.00
b      var   input        -3.00        -4.00
c      var   input        10.00        -2.00
f      var   input        -2.00         4.00
e       *    a*b          -6.00        -2.00
d       +    e+c           4.00        -2.00
L       *    d*f          -8.00         1.00
"""

NEURON_ALL = """\
node    op    definition                  value   do/d(node)
────────────────────────────────────────────────────────────
x1     var    input                      2.0000      -1.5000
w1     var    input                     -3.0000       1.0000
x2     var    input                      0.0000       0.5000
w2     var    input                      1.0000       0.0000
b      var    input                      6.8814       0.5000
t1      *     x1*w1                     -6.0000       0.5000
t2      *     x2*w2                      0.0000       0.5000
t3      +     x1*w1 + x2*w2             -6.0000       0.5000
t4      +     x1*w1 + x2*w2 + b          0.8814       0.5000
o      tanh   tanh(x1*w1 + x2*w2 + b)    0.7071       1.0000
"""


def test_seed_table(gradcli):
    r = gradcli("eval", *SEED)
    assert (r.exit_code, r.stdout, r.stderr) == (0, SEED_TABLE, "")


def test_named_intermediates_all_and_precision(gradcli):
    r = gradcli("eval", *NAMED, "--all", "--precision", "2")
    assert (r.exit_code, r.stdout) == (0, NAMED_TABLE_ALL_2DP)


def test_neuron_all(gradcli):
    r = gradcli("eval", *NEURON, "--all")
    assert (r.exit_code, r.stdout) == (0, NEURON_ALL)


def test_json_has_exactly_the_spec_keys(gradcli):
    r = gradcli("eval", *NAMED, "--format", "json")
    assert r.exit_code == 0
    data = json.loads(r.stdout)
    assert list(data) == ["output", "value", "values", "grads", "variables", "nodes"]
    assert data["output"] == "L"
    assert data["value"] == -8.0
    assert data["values"] == {"a": 2.0, "b": -3.0, "c": 10.0, "f": -2.0, "e": -6.0, "d": 4.0, "L": -8.0}
    assert data["grads"] == {"a": 6.0, "b": -4.0, "c": -2.0, "f": 4.0, "e": -2.0, "d": -2.0, "L": 1.0}
    assert data["variables"] == ["a", "b", "c", "f"]
    assert data["nodes"][0] == {"id": 0, "name": "a", "op": "var", "inputs": [], "value": 2.0, "grad": 6.0}
    assert data["nodes"][2] == {"id": 2, "name": "e", "op": "mul", "inputs": [0, 1], "value": -6.0, "grad": -2.0}
    assert [n["id"] for n in data["nodes"]] == list(range(7))
    assert r.stdout.count("\n") == 1  # one object on one line


def test_json_floats_round_trip_at_full_precision(gradcli):
    r = gradcli("eval", *NEURON, "--format", "json")
    data = json.loads(r.stdout)
    assert data["value"] == 0.7071067811865477
    assert data["output"] == "o"
    assert data["grads"]["x1"] == -1.4999999999999993  # 1 - tanh**2, as PyTorch computes it


def test_json_unnamed_output_and_unnamed_nodes(gradcli):
    r = gradcli("eval", "a*b + 1", "--a", "2", "--b", "3", "--format", "json")
    data = json.loads(r.stdout)
    assert data["output"] is None
    assert data["values"] == {"a": 2.0, "b": 3.0}
    assert [n["name"] for n in data["nodes"]] == ["a", "b", None, None, None]
    assert data["nodes"][3] == {"id": 3, "name": None, "op": "const", "inputs": [], "value": 1.0, "grad": None}


def test_json_reassigned_name_shows_latest_assignment(gradcli):
    r = gradcli("eval", "c = a + b; c = c + c + 1", "--a", "2", "--b", "3", "--format", "json")
    data = json.loads(r.stdout)
    assert data["values"] == {"a": 2.0, "b": 3.0, "c": 11.0}
    assert data["grads"] == {"a": 2.0, "b": 2.0, "c": 1.0}


@pytest.mark.parametrize(
    "args",
    [
        ("L=(a*b+c)*f", "--a", "2", "--b", "-3", "--c", "10", "--f", "-2"),
        ("L=(a*b+c)*f", "--a=2", "--b=-3", "--c=10", "--f=-2"),
        ("L=(a*b+c)*f", "--set", "a=2", "--set", "b=-3", "--set", "c=10", "--set", "f=-2"),
        ("--a", "2", "--b", "-3", "L=(a*b+c)*f", "--c", "10", "--f", "-2"),
        ("--a", "2", "--b", "-3", "--c", "1e1", "--f", "-2.0", "L=(a*b+c)*f"),
    ],
)
def test_every_binding_form(gradcli, args):
    r = gradcli("eval", *args, "--format", "json")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["grads"] == {"a": 6.0, "b": -4.0, "c": -2.0, "f": 4.0, "L": 1.0}


def test_builtin_option_wins_and_set_binds_a_variable_of_that_name(gradcli):
    r = gradcli("eval", "y = format*2", "--set", "format=3", "--format", "json")
    assert json.loads(r.stdout)["values"] == {"format": 3.0, "y": 6.0}


def test_program_from_file_and_stdin(gradcli, tmp_path):
    path = tmp_path / "seed.grad"
    path.write_text("# the seed\ne = a*b\nd = e + c\nL = d*f\n")
    from_file = gradcli("eval", "-f", str(path), "--a", "2", "--b", "-3", "--c", "10", "--f", "-2", "--format", "json")
    from_stdin = gradcli(
        "eval", "-", "--a", "2", "--b", "-3", "--c", "10", "--f", "-2", "--format", "json", input=path.read_text()
    )
    assert from_file.exit_code == from_stdin.exit_code == 0
    assert from_file.stdout == from_stdin.stdout
    assert json.loads(from_file.stdout)["grads"]["e"] == -2.0


def test_defaults_in_the_program_and_overrides(gradcli):
    program = "a = 2\nb = -3\nL = a*b"
    assert json.loads(gradcli("eval", program, "--format", "json").stdout)["value"] == -6.0
    assert json.loads(gradcli("eval", program, "--b", "4", "--format", "json").stdout)["value"] == 8.0


def test_of_chooses_any_named_node(gradcli):
    r = gradcli("eval", *NAMED, "--of", "d", "--format", "json")
    data = json.loads(r.stdout)
    assert data["output"] == "d"
    assert data["value"] == 4.0
    # f and L do not feed d: no gradient (null), as PyTorch leaves .grad None off the graph
    assert data["grads"] == {"a": -3.0, "b": 2.0, "c": 1.0, "f": None, "e": 1.0, "d": 1.0, "L": None}


def test_nodes_that_do_not_feed_the_chosen_output_show_a_dash(gradcli):
    r = gradcli("eval", *NAMED, "--of", "d")
    assert r.stdout == (
        "node   op    definition     value   dd/d(node)\n"
        "──────────────────────────────────────────────\n"
        "a      var   input         2.0000      -3.0000\n"
        "b      var   input        -3.0000       2.0000\n"
        "c      var   input        10.0000       1.0000\n"
        "f      var   input        -2.0000            —\n"
        "e       *    a*b          -6.0000       1.0000\n"
        "L       *    d*f          -8.0000            —\n"
        "d       +    e+c           4.0000       1.0000\n"
    )


@pytest.mark.parametrize("command", ["eval", "graph", "step", "explain", "check"])
@pytest.mark.parametrize("name", ["t1", "t2"])
def test_every_displayed_name_is_accepted_by_of(gradcli, command, name):
    """`--all`, the pictures and explain show unnamed nodes as t1, t2, ...: --of takes them too."""
    extra = ["--lr", "0.1"] if command == "step" else []
    r = gradcli(command, *NEURON, "--of", name, *extra)
    assert r.exit_code == 0, r.stderr
    assert r.stderr == ""


def test_of_an_unnamed_node_an_earlier_assignment_and_out(gradcli):
    data = json.loads(gradcli("eval", *NEURON, "--of", "t1", "--format", "json").stdout)
    assert data["value"] == -6.0  # t1 = x1*w1
    assert data["grads"]["x1"] == -3.0 and data["grads"]["w1"] == 2.0 and data["grads"]["o"] is None
    data = json.loads(gradcli("eval", "c = a + b; c = c*c; y = c + 1", "--a", "1", "--b", "2", "--of", "c#1",
                              "--format", "json").stdout)  # fmt: skip
    assert data["value"] == 3.0 and data["grads"]["a"] == 1.0
    assert gradcli("eval", "x*x + 1", "--x", "3", "--of", "out").exit_code == 0
    r = gradcli("eval", "y = x*2", "--x", "1", "--of", "t9")
    assert (r.exit_code, r.stderr) == (2, "error: --of t9: no node is named t9 (named nodes: x, y)\n")


def test_node_that_depends_on_no_variable_has_no_gradient(gradcli):
    r = gradcli("eval", "k = 2*3; L = k*x", "--x", "2")
    assert r.stdout == (
        "node   op    definition     value   dL/d(node)\n"
        "──────────────────────────────────────────────\n"
        "x      var   input         2.0000       6.0000\n"
        "k       *    2*3           6.0000            —\n"
        "L       *    k*x          12.0000       1.0000\n"
    )


def test_tiny_and_huge_numbers_switch_to_scientific(gradcli):
    r = gradcli("eval", "y = x*1e-9; z = y*1e20", "--x", "3", "--precision", "3")
    assert "3.000e-09" in r.stdout
    assert "3.000e+11" in r.stdout


# ---- errors: one `error:` line (plus a caret for syntax), exit 2 for input, 1 for evaluation -----

ERRORS = [
    (("2x+1",), 2, "error: unexpected x; did you mean 2*x? (line 1, column 2)\n  2x+1\n   ^\n"),
    (("tanhh(x)", "--x", "1"), 2, "error: unknown function tanhh; did you mean tanh? (line 1, column 1)\n  tanhh(x)\n  ^\n"),
    (("a*b", "--a", "1"), 2, "error: unbound variable: b (bind with --b VALUE)\n"),
    (("a*b*c",), 2, "error: unbound variables: a, b, c (bind with --a VALUE --b VALUE --c VALUE)\n"),
    (
        ("a*bb", "--a", "1", "--b", "2", "--bb", "3"),
        2,
        "error: b is not a variable of the program; did you mean bb? (its variables: a, bb)\n",
    ),
    (
        ("e=a*b; L=e*2", "--a", "1", "--b", "2", "--e", "3"),
        2,
        "error: e is computed by the program, not a variable (its variables: a, b)\n",
    ),
    (("a*b", "--a", "abc", "--b", "1"), 2, "error: --a: 'abc' is not a number\n"),
    (("a*b", "--a", "nan", "--b", "1"), 2, "error: --a: 'nan' is not a finite number\n"),
    (("a*b", "--a", "-inf", "--b", "1"), 2, "error: --a: '-inf' is not a finite number\n"),
    (("a*b", "--a"), 2, "error: --a needs a value\n"),
    (("a*b", "--set", "a"), 2, "error: --set a: expected NAME=VALUE\n"),
    (("a*b", "extra"), 2, "error: unexpected argument 'extra': the program is already given ('a*b'); quote it\n"),
    (("a*b", "--a", "1", "--b", "2", "--of", "z"), 2, "error: --of z: no node is named z (named nodes: a, b)\n"),
    (("a*b", "--format", "xml"), 2, "error: invalid value for '--format': 'xml' is not one of 'table', 'json'.\n"),
    ((), 2, "error: no program: give EXPR, -f FILE, or - to read standard input\n"),
    (("log(x - 3)", "--x", "1"), 1, "error: log(x - 3) at line 1, column 1: log needs a positive argument (got -2)\n"),
    (("y = 1\nL = a / (b - 2)", "--a", "1", "--b", "2"), 1, "error: a / (b - 2) at line 2, column 5: division by zero (got 1 and 0)\n"),
    (("exp(x)", "--x", "1000"), 1, "error: exp(x) at line 1, column 1: overflow: the result is too large for a float (got 1000)\n"),
    (("x*x*x", "--x", "1e200"), 1, "error: x*x at line 1, column 1: overflow: the result is too large for a float (got 1e+200 and 1e+200)\n"),
    (("x**y", "--x", "-8", "--y", "0.5"), 1, "error: x**y at line 1, column 1: a negative number to a fractional power is complex (got -8 and 0.5)\n"),
    (("sqrt(x)", "--x", "0", "--strict"), 1, "error: the derivative of sqrt(x) at line 1, column 1 is infinite or undefined at 0\n"),
]  # fmt: skip


@pytest.mark.parametrize("args,code,stderr", ERRORS)
def test_errors(gradcli, args, code, stderr):
    r = gradcli("eval", *args)
    assert (r.exit_code, r.stderr, r.stdout) == (code, stderr, "")


def test_missing_unreadable_binary_and_non_utf8_files(gradcli, tmp_path):
    binary = tmp_path / "b.bin"
    binary.write_bytes(b"a*b\0\1\2")
    latin = tmp_path / "l.txt"
    latin.write_bytes(b"caf\xe9 = 1")
    cases = {
        str(tmp_path / "missing.grad"): "no such file",
        str(tmp_path): "it is a folder",
        str(binary): "it is a binary file, not program text",
        str(latin): "it is not UTF-8 text (byte 3)",
    }
    for path, message in cases.items():
        r = gradcli("eval", "-f", path)
        assert (r.exit_code, r.stderr) == (2, f"error: cannot read {path}: {message}\n")


def test_version_and_help(gradcli):
    from gradcli import __version__

    assert gradcli("--version").stdout == f"gradcli, version {__version__}\n"
    help_text = gradcli("eval", "--help").stdout
    assert "Examples:" in help_text
    assert 'gradcli eval "L=(a*b+c)*f" --a 2 --b -3 --c 10 --f -2' in help_text


def test_limit_keeps_the_first_and_last_rows(gradcli):
    r = gradcli("eval", *NAMED, "--limit", "3")
    assert r.stdout == (
        "node   op    definition                value   dL/d(node)\n"
        "─────────────────────────────────────────────────────────\n"
        "a      var   input                    2.0000       6.0000\n"
        "...          4 rows left out                             \n"
        "             (--limit 0 shows all)                       \n"
        "d       +    e+c                      4.0000      -2.0000\n"
        "L       *    d*f                     -8.0000       1.0000\n"
    )
    assert gradcli("eval", *NAMED, "--limit", "0").stdout == gradcli("eval", *NAMED).stdout


def test_a_long_program_table_is_limited_by_default(gradcli):
    program = "x = 1\n" + "x = x*1.0001 + 0.01\n" * 2000
    lines = gradcli("eval", program).stdout.splitlines()
    assert len(lines) == 2 + 500 + 2
    assert lines[2 + 250].startswith("...") and "1,501 rows left out" in lines[2 + 250]
    assert "(--limit 0 shows all)" in lines[2 + 251]


@pytest.mark.parametrize(
    "program",
    [
        "e=a*b; d=e+c; L=d*f",
        "k = 2*3; L = k*x + pi",
        "c = a + b; c = c + c + 1",
        "a*b + 1",
        "x = 1\n" + "x = x*1.0001 + 0.01\n" * 30_000,  # more nodes than one streamed piece
    ],
)
@pytest.mark.slow
def test_streamed_json_is_exactly_the_record(program):
    from gradcli.parser import parse
    from gradcli.program import Run, bind
    from gradcli.views.records import eval_json, eval_record

    graph = parse(program)
    bindings = bind(graph, {n: "1.5" for n in graph.variables if n not in graph.defaults()})
    run = Run.of(graph, bindings, graph.output)
    assert "".join(eval_json(run)) == json.dumps(eval_record(run)) + "\n"
