"""Hints that lead somewhere: every "did you mean" and every "bind with" names a thing
that works when typed, and no message grows with the input.

* A variable named like an option of the command is bound with `--set NAME=VALUE`, and the
  messages say so (`--lr` is step's learning rate, `--all` a flag of eval).
* An unknown `--NAME` close to an option and to no variable suggests the option (`--precison`).
* Typos are judged as typing slips, a swap of two letters weighing less (`tahn` -> `tanh`).
* Mathematics pasted from a document (− × ÷ ² ·, `sin x`, `x.tanh()`) gets the gradcli spelling.
* Bare `gradcli` is the help (exit 0); `gradcli evl` suggests `eval`; `gradcli help [COMMAND]`.
* A message listing names shows at most 20 of them, then how many more.
"""

from __future__ import annotations

import pytest

from gradcli.cli import cli
from helpers import run_cli

# ---- variables named like options, and option typos ----------------------------------------------


@pytest.mark.parametrize(
    "argv,message",
    [
        (
            ["step", "L=lr*x", "--lr", "0.5", "--x", "1"],
            "unbound variable: lr (bind with --set lr=VALUE; --lr is an option of step)",
        ),
        (
            ["check", "y=eps*x", "--eps", "0.1", "--x", "1"],
            "unbound variable: eps (bind with --set eps=VALUE; --eps is an option of check)",
        ),
        (
            ["eval", "of*2 + all"],
            "unbound variables: of, all (bind with --set of=VALUE --set all=VALUE; --of, --all are options of eval)",
        ),
        (
            ["eval", "y = all*2", "--all", "3"],
            "--all is an option of eval and takes no value, so '3' is not its value; "
            "to bind a variable named all, write --set all=3",
        ),
        (
            ["eval", "--all", "3", "y = all*2"],
            "--all is an option of eval and takes no value, so '3' is not its value; "
            "to bind a variable named all, write --set all=3",
        ),
        # an unknown --NAME close to an option and to no variable
        (
            ["eval", "y=a*2", "--precison", "3", "--a", "1"],
            "--precison is not an option of eval nor a variable; did you mean --precision? (its variables: a)",
        ),
        (
            ["eval", "y=a*2", "--fromat", "json", "--a", "1"],
            "--fromat is not an option of eval nor a variable; did you mean --format? (its variables: a)",
        ),
        (
            ["step", "y=a*2", "--a", "1", "--lr", "0.1", "--step", "3"],
            "--step is not an option of step nor a variable; did you mean --steps? (its variables: a)",
        ),
        # close to a variable too: the variable wins
        (
            ["eval", "y=format1*2", "--fromat", "json"],
            "fromat is not a variable of the program; did you mean format1? (its variables: format1)",
        ),
        # close to nothing
        (["eval", "y=a*2", "--zzz", "1", "--a", "1"], "zzz is not a variable of the program (its variables: a)"),
    ],
)
def test_a_variable_named_like_an_option_or_an_option_typo(argv, message):
    result = run_cli(*argv)
    assert (result.exit_code, result.stderr) == (2, f"error: {message}\n")


def test_the_set_binding_the_message_suggests_works():
    result = run_cli("step", "L=lr*x", "--lr", "0.5", "--x", "1", "--set", "lr=2")
    assert result.exit_code == 0
    assert "L: 2.0000 -> 0.0000" in result.stdout
    result = run_cli("eval", "y = all*2", "--set", "all=3", "--all", "--format", "json")
    assert result.exit_code == 0 and '"value": 6.0' in result.stdout


def test_the_graph_note_binds_an_option_named_variable_with_set():
    result = run_cli("graph", "L = out*b", "--b", "1")
    assert result.exit_code == 0
    assert result.stderr == "note: unbound: out; drawing the bare structure (bind --set out=VALUE for data and grad)\n"


@pytest.mark.parametrize(
    "argv,message",
    [
        (["train", "--setps", "3"], "no such option: --setps; did you mean --steps?"),  # click listed three
        (["train", "--hiden=3"], "no such option: --hiden; did you mean --hidden?"),
        (["--verison"], "no such option: --verison; did you mean --version?"),
        (["train", "--zzz"], "no such option: --zzz"),
    ],
)
def test_an_option_typo_of_a_command_without_a_program_suggests_one_option(argv, message):
    result = run_cli(*argv)
    assert (result.exit_code, result.stderr) == (2, f"error: {message}\n")


def test_a_variable_that_looks_like_an_option_typo_is_still_a_variable():
    result = run_cli("eval", "y = fromat*2", "--fromat", "1", "--format", "json")
    assert result.exit_code == 0 and '"value": 2.0' in result.stdout


# ---- typos and pasted mathematics in the program --------------------------------------------------


@pytest.mark.parametrize(
    "program,message,column",
    [
        ("tahn(x)", "unknown function tahn; did you mean tanh?", 1),
        ("sigmiod(x)", "unknown function sigmiod; did you mean sigmoid?", 1),
        ("a − b", "unexpected character '−'; use - for minus", 3),
        ("a – b", "unexpected character '–'; use - for minus", 3),
        ("a × b", "unexpected character '×'; use * to multiply", 3),
        ("a · b", "unexpected character '·'; use * to multiply", 3),
        ("a ÷ b", "unexpected character '÷'; use / to divide", 3),
        ("x²", "unexpected character '²'; use **2 for a power", 2),
        ("x⁻¹ + 1", "unexpected character '⁻'; use **(-1) for a power", 2),
        ("√x", "unexpected character '√'; write sqrt(x)", 1),
        ("sin x", "unexpected 'x'; write sin(x)", 5),
        ("2*tanh 3", "unexpected '3'; write tanh(3)", 8),
        ("x.tanh()", "unexpected character '.'; write tanh(x)", 2),
        ("w1.relu() + 1", "unexpected character '.'; write relu(w1)", 3),
        ("(a+b).exp()", "unexpected character '.'; write exp(...)", 6),
        ("x.grad", "unexpected character '.'", 2),
        ("x*৪", "unexpected character '৪'; write numbers with the digits 0-9", 3),
    ],
)
def test_typos_and_pasted_mathematics_get_a_hint(program, message, column):
    result = run_cli("eval", program, "--x", "1")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {message} (line 1, column {column})\n")


# ---- the group: bare gradcli, command typos, help -------------------------------------------------


def test_bare_gradcli_prints_the_help_and_exits_0():
    result = run_cli()
    assert result.exit_code == 0 and result.stderr == ""
    assert result.stdout.startswith("Usage: gradcli [OPTIONS] [COMMAND] [ARGS]...\n")
    assert "  help     Show the help of gradcli, or of one command.\n" in result.stdout


@pytest.mark.parametrize(
    "name,message",
    [
        ("evl", "no such command 'evl'; did you mean eval?"),
        ("chekc", "no such command 'chekc'; did you mean check?"),
        (
            "frobnicate",
            "no such command 'frobnicate' (commands: eval, graph, step, explain, diff, hessian, check, train, audit, plot, help)",
        ),
    ],
)
def test_a_command_typo_suggests_the_command(name, message):
    result = run_cli(name, "x")
    assert (result.exit_code, result.stderr) == (2, f"error: {message}\n")


def test_help_command_shows_the_help_of_gradcli_and_of_each_command():
    assert run_cli("help").stdout == run_cli("--help").stdout
    for name in cli.list_commands(None):
        result = run_cli("help", name)
        assert result.exit_code == 0, result.stderr
        assert result.stdout == run_cli(name, "--help").stdout
    result = run_cli("help", "evl")
    assert (result.exit_code, result.stderr) == (2, "error: no such command 'evl'; did you mean eval?\n")


# ---- bounded lists --------------------------------------------------------------------------------


def test_a_message_lists_at_most_twenty_names():
    program = " + ".join(f"v{k}" for k in range(1798))
    result = run_cli("eval", program)
    names = ", ".join(f"v{k}" for k in range(20))
    flags = " ".join(f"--v{k} VALUE" for k in range(20))
    assert result.stderr == f"error: unbound variables: {names} and 1,778 more (bind with {flags} ...)\n"

    result = run_cli("eval", program, "--zz", "1")
    assert result.stderr == f"error: zz is not a variable of the program (its variables: {names} and 1,778 more)\n"
    result = run_cli("graph", program, "--of", "nope")
    assert len(result.stderr) < 300 and result.stderr.endswith(f"(named nodes: {names} and 1,778 more)\n")


def test_a_long_name_is_cut_in_a_message():
    name = "x" * 10_000_000
    result = run_cli("eval", "y = 2*3", "--" + name, "1")
    assert result.exit_code == 2
    assert result.stderr == f"error: {'x' * 57}... is not a variable of the program (its variables: none)\n"
