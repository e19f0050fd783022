"""Shared by the tests/test_reliability_*.py suites: the commands, and what a clean answer is.

A clean answer exits 0, 1 or 2 (130 for Ctrl-C), never shows a traceback or an internal error,
and a non-zero exit says `error: ...` on stderr. The one exception: `check` exits 1 with its
report (and no error line) when a gradient fails the check.
"""

from __future__ import annotations

import os
import signal
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import click

import gradcli
from gradcli.cli import cli

#: Commands whose non-zero exit can be a result rather than an error: the report is on stdout.
RESULT_EXITS = {"check": 1, "audit": 1}
#: Options that keep a run short, or that a command needs in its default mode (step's gradient
#: descent needs --lr, which --method newton does not); options given after them win (click keeps the last).
QUICK = {"train": ["--steps", "2", "--hidden", "2"], "audit": ["--examples", "3"], "step": ["--lr", "0.1"]}
#: Commands that sample a program over a range (--NAME LO:HI): a failing sample is a gap, not an error.
SAMPLING = {"plot"}
#: Commands that work on a program with unbound variables: graph draws the bare structure, diff writes formulas.
SYMBOLIC = {"graph", "diff"}
#: Commands whose input is a file but not a program: the option that names it (None: the argument).
INPUT_OPTIONS = {"train": "--data", "audit": None}
#: What such a command runs on when a test gives it no input (train makes its own data).
ADDS = str(Path(__file__).parent / "audit_cases" / "adds.py")  # a class that only adds: a quick audit
DEFAULT_INPUTS = {"audit": [ADDS]}
#: Values for options that a command requires.
REQUIRED = {"--lr": "0.1"}
#: Seconds to wait for an event before a test gives up (a hang, not a timing).
WAIT = 60


def commands() -> list[str]:
    """Every command of the click group that reads input, so that a command added later is covered too
    (`help` only prints the help)."""
    return [name for name in cli.list_commands(click.Context(cli)) if name != "help"]


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


def input_args(command: str, path: str) -> list[str]:
    """The arguments that make `command` read its input from `path`."""
    if takes_program(command):
        return ["-f", path]
    option = INPUT_OPTIONS[command]
    return [path] if option is None else [option, path]


def default_input(command: str) -> list[str]:
    """The input a command that takes no program runs on when a test gives none."""
    return DEFAULT_INPUTS.get(command, [])


def bindings(command: str, *pairs: str) -> list[str]:
    """`--NAME VALUE` pairs as `command` takes them: a sampling command gets the first as the range VALUE:VALUE+1."""
    pairs = list(pairs)
    if command in SAMPLING:
        pairs[1] = f"{pairs[1]}:{float(pairs[1]) + 1}"
    return pairs


def program_commands() -> list[str]:
    return [c for c in commands() if takes_program(c)]


def assert_clean(result, command: str = "", codes=(0, 1, 2)) -> None:
    """The contract of README.md's "Errors" section for one run of `gradcli COMMAND ...`."""
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


class Moments:
    """A tracer that counts the moments of a run in gradcli's own code, or delivers a signal at one of them.

    A moment is a line of one of `files` (paths inside the gradcli package), or the start of a call
    that such a line makes; counting begins when a function named `start` is first entered and ends
    when one named `until` is (by default: never). With
    `at=k`, the signal's handler, as the run installed it, is called at the k-th moment: exactly
    what a real signal arriving there does, without racing one against the run.
    """

    def __init__(self, files: tuple[str, ...], start: str, until: str = "", at: int = 0, signum=signal.SIGINT):
        package = Path(gradcli.__file__).resolve().parent
        self.files = {str(package / f) for f in files}
        self.start, self.until, self.at, self.signum = start, until, at, signum
        self.count, self.started, self.where = 0, False, ""

    def __enter__(self) -> Moments:
        sys.settrace(self._call)
        return self

    def __exit__(self, *exc) -> None:
        sys.settrace(None)

    def _call(self, frame, event, arg):
        code = frame.f_code
        if not self.started:
            if code.co_name != self.start:
                return None
            self.started = True
        if code.co_name == self.until:
            sys.settrace(None)
            return None
        if code.co_filename in self.files:
            self._tick(frame)
            return self._line
        caller = frame.f_back
        if caller is not None and caller.f_code.co_filename in self.files:
            self._tick(frame)
        return None

    def _line(self, frame, event, arg):
        if event == "line":
            self._tick(frame)
        return self._line

    def _tick(self, frame) -> None:
        self.count += 1
        if self.count == self.at:  # a handler that raises also ends the tracing (Python unsets it)
            self.where = f"{Path(frame.f_code.co_filename).name}:{frame.f_lineno} in {frame.f_code.co_name}"
            handler = signal.getsignal(self.signum)
            if callable(handler):
                handler(self.signum, frame)


def endless_dot(folder: Path) -> dict:
    """An environment whose `dot` records its process id, then lays out for ever (it sleeps)."""
    bin_folder = folder / "bin"
    bin_folder.mkdir()
    program = bin_folder / "dot"
    program.write_text(
        f'#!/bin/sh\necho $$ > "{folder}/dot.pid.tmp" && mv "{folder}/dot.pid.tmp" "{folder}/dot.pid"\nexec sleep 600\n'
    )
    program.chmod(0o755)
    return os.environ | {"PATH": f"{bin_folder}{os.pathsep}{os.environ['PATH']}"}


def wait_for(done, what: str) -> None:
    """Wait for an event (not a time): `done()` true, or fail after WAIT seconds."""
    deadline = time.monotonic() + WAIT
    while not done():
        assert time.monotonic() < deadline, f"no {what} after {WAIT} s"
        time.sleep(0.01)


def alive(pid: int) -> bool:
    """Is the process running (a zombie waiting to be reaped counts as gone)?"""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
