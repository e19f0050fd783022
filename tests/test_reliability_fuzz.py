"""Reliability, class 1 — fuzz: whatever arrives, every command answers cleanly.

Every command of the click group (`reliability.commands()`, so a command added later is fuzzed
too) is fed four kinds of input:

* random byte strings, as the input file (`-f FILE`; train's `--data FILE`);
* token soup from the language's alphabet, as the EXPR argument (the file for train);
* valid inputs mutated by one character: random programs with their variables' defaults, and
  random CSV data for train;
* random values for the command's own options, after a valid program.

Each run must be clean (`reliability.assert_clean`): exit 0, 1 or 2, no traceback, no internal
error, and a non-zero exit says `error: ...`. When the text parses, its variables are bound with
awkward values (0, -1, 1e300, ...) so that the run gets past binding into the evaluation.

The example budget is small and the examples derandomized, so CI is fast and repeatable.
A long, random run on demand, e.g. 2,000 examples per test:

    GRADCLI_FUZZ_EXAMPLES=2000 python -m pytest tests/test_reliability_fuzz.py
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import click
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gradcli.cli import cli
from gradcli.errors import GradcliError
from gradcli.ops import FUNCTIONS, OPS
from gradcli.parser import parse
from helpers import needs_dot, run_cli
from reliability import ADDS, assert_clean, base, commands, default_input, input_args, scratch_folder, takes_program

EXAMPLES = int(os.environ.get("GRADCLI_FUZZ_EXAMPLES", "0"))
settings.register_profile(
    "gradcli-fuzz",
    max_examples=EXAMPLES or 25,
    derandomize=not EXAMPLES,  # CI: the same examples every run; on demand: new ones each time
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]
    + [HealthCheck.nested_given],  # audit's random programs are a hypothesis search of their own
)
FUZZ = settings.get_profile("gradcli-fuzz")

# ---- how each command is fed --------------------------------------------------------------------

#: Commands that take other input than a program: the name of their input file (the option that
#: names it is in reliability.INPUT_OPTIONS).
INPUT_FILES = {"train": "input.csv", "audit": "input.py"}
SEED = ["L=(a*b+c)*f", "--a", "2", "--b", "-3", "--c", "10", "--f", "-2"]


def run_input(command: str, data: str | bytes, bindings: list[str], as_file: bool) -> None:
    """Run `command` on `data` (the EXPR argument or a file) in a scratch folder; assert a clean answer."""
    with scratch_folder() as folder:
        if takes_program(command):
            if as_file or isinstance(data, bytes):
                path = Path(folder, "input.grad")
                path.write_bytes(data if isinstance(data, bytes) else data.encode())
                argv = ["-f", str(path)]
            else:
                argv = [data]
            argv += bindings
        else:
            assert command in INPUT_FILES, f"teach this fuzz suite how to feed `{command}`: see INPUT_FILES"
            path = Path(folder, INPUT_FILES[command])
            path.write_bytes(data if isinstance(data, bytes) else data.encode())
            argv = input_args(command, str(path))
        assert_clean(run_cli(command, *argv, *base(command)), command)


AWKWARD = ["0", "1", "-1", "0.5", "-2.5", "3", "1e-300", "1e300", "-1e308", "5e-324"]


@st.composite
def bindings_for(draw, text: str | bytes) -> list[str]:
    """`--set NAME=VALUE` for each variable of the program, when it parses; else nothing."""
    try:
        graph = parse(text.decode("utf-8-sig") if isinstance(text, bytes) else text)
    except (GradcliError, UnicodeDecodeError):
        return []
    return [arg for name in graph.variables for arg in ("--set", f"{name}={draw(st.sampled_from(AWKWARD))}")]


# ---- the inputs ---------------------------------------------------------------------------------

NAMES = ["a", "b", "c", "x", "e", "L", "t1", "_", "pi"]
NUMBERS = ["0", "1", "2", "2.5", ".5", "1.", "1e-3", "6.8814", "1e308", "1e999", "1e-400", "007", "9" * 40]
PUNCTUATION = ["+", "-", "*", "/", "**", "^", "(", ")", ",", "=", ";", "\n", "\r\n", "#", " ", "\t"]
ODD = ["[", "{", "==", "@", "!", "$", "'", '"', "\\", "é", "∂", "\x1b", "\x00", "\u2028", "\ufeff", "2x"]
TOKENS = NAMES + NUMBERS + PUNCTUATION + ODD + list(FUNCTIONS) + ["tanhh", "Log", "foo"]

token_soup = st.lists(st.sampled_from(TOKENS), max_size=30).map("".join)

random_bytes = st.one_of(
    st.binary(max_size=300),
    st.lists(st.sampled_from([t.encode() for t in TOKENS] + [b"\xff", b"\xc3", b"\xef\xbb\xbf"]), max_size=30).map(
        b"".join
    ),
)

ONE_ARG = sorted(name for name, op in FUNCTIONS.items() if OPS[op].arity == 1)
TWO_ARGS = sorted(name for name, op in FUNCTIONS.items() if OPS[op].arity == 2)
VARIABLES = ["a", "b", "c", "x"]


def _expression(inner):
    return st.one_of(
        st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "**", "^"]), inner).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})"
        ),
        st.tuples(st.sampled_from(ONE_ARG), inner).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(st.sampled_from(TWO_ARGS), inner, inner).map(lambda t: f"{t[0]}({t[1]}, {t[2]})"),
        inner.map(lambda t: f"-{t}"),
    )


expressions = st.recursive(
    st.sampled_from(VARIABLES + ["t1", "2", "0.5", "0", "pi", "1e-3"]), _expression, max_leaves=10
)


@st.composite
def programs(draw) -> str:
    """Defaults for the variables, then statements t1 = ..., L = ... over them (t1 may come after its use)."""
    sep = draw(st.sampled_from([";", "\n", "; ", "\r\n"]))
    defaults = [f"{name} = {draw(st.sampled_from(AWKWARD))}" for name in VARIABLES]
    body = [f"t1 = {draw(expressions)}", f"L = {draw(expressions)}"]
    return sep.join(defaults + draw(st.permutations(body)))


@st.composite
def csv_data(draw) -> str:
    """Train's input: an optional header, then rows x1,x2,label."""
    coordinate = st.sampled_from(["0", "1", "-1", "0.25", "1e300", "-2.5", "1e-300"])
    rows = draw(st.lists(st.tuples(coordinate, coordinate, st.sampled_from(["1", "-1", "0"])), min_size=2, max_size=8))
    header = ["x1,x2,label"] if draw(st.booleans()) else []
    return "\n".join(header + [",".join(row) for row in rows]) + "\n"


#: A valid input of each command that takes no program.
VALID_INPUTS = {"train": csv_data(), "audit": st.just(Path(ADDS).read_text())}

MUTATION = st.one_of(
    st.sampled_from(list("0123456789.eE+-*/^()=,;#\n\r\t _abcxLpi[]{}!@$&|<>?~'\"\\")),
    st.characters(blacklist_categories=("Cs",)),
)


@st.composite
def mutated(draw, valid) -> str:
    """A valid input with one character inserted, deleted or replaced."""
    text = draw(valid)
    at = draw(st.integers(0, len(text)))
    how = draw(st.sampled_from(["insert", "delete", "replace"]))
    if how == "insert":
        return text[:at] + draw(MUTATION) + text[at:]
    return text[:at] + ("" if how == "delete" else draw(MUTATION)) + text[at + 1 :]


# ---- the tests ----------------------------------------------------------------------------------

every_command = pytest.mark.parametrize("command", commands())


@every_command
@FUZZ
@given(data=st.data(), text=random_bytes)
@pytest.mark.slow
def test_random_bytes(command, data, text):
    run_input(command, text, data.draw(bindings_for(text)), as_file=True)


@every_command
@FUZZ
@given(data=st.data(), text=token_soup)
@pytest.mark.slow
def test_token_soup(command, data, text):
    run_input(command, text, data.draw(bindings_for(text)), as_file=False)


@every_command
@FUZZ
@given(data=st.data())
@pytest.mark.slow
def test_valid_input_mutated_by_one_character(command, data):
    valid = programs() if takes_program(command) else VALID_INPUTS[command]
    run_input(command, data.draw(mutated(valid)), [], as_file=False)


def option_values(param: click.Option):
    """Awkward values for one option, by its type; counts stay small so that no run is long."""
    if param.is_flag:
        return st.just([param.opts[0]])
    if isinstance(param.type, click.Choice):
        values = st.sampled_from([*param.type.choices, "bogus", ""])
    elif isinstance(param.type, click.types.IntParamType):
        values = st.sampled_from(["-1", "0", "1", "2", "3", "17", "18", "1.5", "x", ""])
    else:
        values = st.sampled_from(
            [*AWKWARD, "nan", "inf", "-inf", "1.7e308", "abc", "", "a", "L", "a,b", ",", "-", "x=1", "a=", "moons"]
            + ["out.svg", "out.png", "out.pdf", "out.dot", "out.txt", "no/such/folder/out.svg", ".", "in.grad"]
        )
    return values.map(lambda v: [f"{param.opts[0]}={v}"])


@every_command
@FUZZ
@given(data=st.data())
@pytest.mark.slow
def test_random_option_values(command, data):
    params = cli.get_command(click.Context(cli), command).params
    options = [p for p in params if isinstance(p, click.Option) and p.name not in ("help", "file")]
    chosen = data.draw(st.lists(st.sampled_from(options), min_size=1, max_size=3))
    argv = [arg for p in chosen for arg in data.draw(option_values(p))]
    program = SEED if takes_program(command) else default_input(command)
    with scratch_folder() as folder:
        Path(folder, "in.grad").write_text("L = (a*b + c)*f")
        assert_clean(run_cli(command, *program, *base(command), *argv), command)
        leftovers = [p.name for p in Path(folder).iterdir() if p.name.endswith(".tmp")]
        assert not leftovers, leftovers


# ---- what the fuzz suite found, kept as fixed cases -------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["check", *SEED, "--eps", "5e-324"],  # the step could not move x: ZeroDivisionError
        ["check", "x", "--x", "1", "--eps", "1e308", "--format", "json"],  # nan in JSON
        ["train", "--hidden", "1", "--steps", "2"],  # a layer of one neuron fed a Value to the next
        pytest.param(["graph", *SEED, "--format", "png"], marks=needs_dot),  # binary output on stdout
    ],
)
def test_found_by_fuzzing(argv):
    with scratch_folder():
        result = run_cli(*argv)
    assert_clean(result, argv[0])
    assert result.stdout


def test_a_bug_is_one_line_that_says_where_and_debug_shows_the_traceback(monkeypatch):
    def broken(*args):
        raise RuntimeError("a planted bug")

    monkeypatch.setattr("gradcli.program.parse", broken)
    result = run_cli("eval", "L = x", "--x", "1")
    assert result.exit_code == 1
    assert re.fullmatch(
        r"error: internal error at program\.py:\d+: RuntimeError: a planted bug"
        r" \(please report it; GRADCLI_DEBUG=1 shows more\)\n",
        result.stderr,
    )  # the innermost frame of gradcli's own code: where load() called parse
    with pytest.raises(RuntimeError, match="a planted bug"):
        run_cli("eval", "L = x", "--x", "1", env={"GRADCLI_DEBUG": "1"})


def test_a_bug_is_placed_in_gradcli_by_where_the_package_is_not_by_a_name(monkeypatch, tmp_path):
    """Code in a folder named like the project (a clone, ~/gradcli-play/) is not gradcli's own."""
    folder = tmp_path / "gradcli" / "gradcli-play"
    folder.mkdir(parents=True)
    (folder / "gradcli_user.py").write_text("def broken(*args):\n    raise RuntimeError('a planted bug')\n")
    monkeypatch.syspath_prepend(str(folder))
    from gradcli_user import broken

    monkeypatch.setattr("gradcli.program.parse", broken)
    result = run_cli("eval", "L = x", "--x", "1")
    assert re.match(r"error: internal error at program\.py:\d+: RuntimeError", result.stderr), result.stderr
