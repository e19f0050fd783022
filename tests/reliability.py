"""Shared by the tests/test_reliability_*.py suites (issue 7): the commands, and what a clean answer is.

A clean answer exits 0, 1 or 2 (130 for Ctrl-C), never shows a traceback or an internal error,
and a non-zero exit says `error: ...` on stderr. The one exception: `check` exits 1 with its
report (and no error line) when a gradient fails the check.
"""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager

import click

from gradcli.cli import cli

#: Commands whose non-zero exit can be a result rather than an error: the report is on stdout.
RESULT_EXITS = {"check": 1}
#: Options that keep a run short; options given after them win (click keeps the last).
QUICK = {"train": ["--steps", "2", "--hidden", "2"]}
#: Commands that sample a program over a range (--NAME LO:HI): a failing sample is a gap, not an error.
SAMPLING = {"plot"}
#: Values for options that a command requires.
REQUIRED = {"--lr": "0.1"}


def commands() -> list[str]:
    """Every command of the click group, so that a command added later is covered too."""
    return cli.list_commands(click.Context(cli))


def takes_program(name: str) -> bool:
    """Does the command take a program (EXPR, -f FILE) rather than other input (train's --data)?"""
    return any(param.name == "args" for param in cli.get_command(click.Context(cli), name).params)


def base(command: str) -> list[str]:
    """The quick options and the required ones, which every run of `command` in these suites gets."""
    params = cli.get_command(click.Context(cli), command).params
    needed = [p.opts[0] for p in params if isinstance(p, click.Option) and p.required]
    unknown = [o for o in needed if o not in REQUIRED]
    assert not unknown, f"{command} requires {unknown}: add a value to REQUIRED in tests/reliability.py"
    return QUICK.get(command, []) + [arg for o in needed for arg in (o, REQUIRED[o])]


def bindings(command: str, *pairs: str) -> list[str]:
    """`--NAME VALUE` pairs as `command` takes them: a sampling command gets the first as the range VALUE:VALUE+1."""
    pairs = list(pairs)
    if command in SAMPLING:
        pairs[1] = f"{pairs[1]}:{float(pairs[1]) + 1}"
    return pairs


def program_commands() -> list[str]:
    return [c for c in commands() if takes_program(c)]


def assert_clean(result, command: str = "", codes=(0, 1, 2)) -> None:
    """The contract of SPEC section 4 for one run of `gradcli COMMAND ...`."""
    said = result.stdout + result.stderr
    assert result.exit_code in codes, f"exit {result.exit_code}\n{said}"
    assert "Traceback" not in said, said
    assert "internal error" not in result.stderr, result.stderr
    if result.exit_code and not (RESULT_EXITS.get(command) == result.exit_code and not result.stderr):
        # after Ctrl-C click starts a new line, so that the message does not follow the ^C
        assert result.stderr.lstrip("\n").startswith("error: "), (
            f"exit {result.exit_code} without an error line:\n{said}"
        )


@contextmanager
def scratch_folder():
    """Run in a fresh empty folder, so that output options given relative names write nowhere else."""
    here = os.getcwd()
    with tempfile.TemporaryDirectory() as folder:
        os.chdir(folder)
        try:
            yield folder
        finally:
            os.chdir(here)
