"""The command line: a thin click adapter that wires the stages and turns errors into messages.

Each command lives in `gradcli/commands/NAME.py` and is imported only when it runs, so start-up
stays fast. Program variables are bound with `--NAME VALUE`, `--NAME=VALUE` or `--set NAME=VALUE`.
"""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import signal
import sys
import traceback
from pathlib import Path

import click

from . import __version__, interrupts
from .errors import GradcliError, InputError, Interrupted

ORDER = ["eval", "graph", "step", "explain", "check", "train"]

#: Settings for commands that take a program and its bindings.
PROGRAM_SETTINGS = {"ignore_unknown_options": True, "allow_extra_args": True, "help_option_names": ["-h", "--help"]}


class LazyGroup(click.Group):
    """Finds commands in gradcli.commands and imports one only when it is used."""

    def list_commands(self, ctx):
        from . import commands

        found = {m.name for m in pkgutil.iter_modules(commands.__path__)}
        return [n for n in ORDER if n in found] + sorted(found - set(ORDER))

    def get_command(self, ctx, name):
        if name not in self.list_commands(ctx):
            return None
        return importlib.import_module(f"gradcli.commands.{name}").command

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except interrupts.Interrupt as exc:
            if exc.signum == signal.SIGINT:
                raise  # click starts a new line, after the ^C that the terminal shows
            raise Interrupted("interrupted") from None  # SIGTERM, SIGHUP: no ^C on the screen


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="gradcli")
def cli():
    """Differentiate scalar programs by reverse-mode automatic differentiation, and show the work.

    \b
    Examples:
      gradcli eval "L=(a*b+c)*f" --a 2 --b -3 --c 10 --f -2
      gradcli graph "o=tanh(x1*w1 + x2*w2 + b)" --out neuron.svg
      gradcli step "L=(a*b+c)*f" --a 2 --b -3 --c 10 --f -2 --lr 0.001
      gradcli explain "e=a*b; d=e+c; L=d*f" --a 2 --b -3 --c 10 --f -2
      gradcli check "y = sigmoid(x)**3 + relu(x - z)" --x 0.5 --z 0.1
      gradcli train --data moons --plot boundary.png

    
    Bind variables with --NAME VALUE, --NAME=VALUE or --set NAME=VALUE.
    Run 'gradcli COMMAND --help' for a command's options.
    """


class ProgramCommand(click.Command):
    """A command whose unknown `--NAME VALUE` pairs are variable bindings.

    Each pair is joined into `--NAME=VALUE` before click parses, so that a value such as `-3`,
    `-inf` or `-f` is never mistaken for an option.
    """

    def parse_args(self, ctx, args):
        takes_value = {
            o: not p.is_flag and not p.count for p in self.params if isinstance(p, click.Option) for o in p.opts
        }
        joined, i = [], 0
        while i < len(args):
            token = args[i]
            if token == "--":
                joined.extend(args[i:])
                break
            if token in takes_value:
                joined.extend(args[i : i + 1 + takes_value[token]])
                i += 1 + takes_value[token]
                continue
            if token.startswith("--") and "=" not in token and i + 1 < len(args):
                joined.append(f"{token}={args[i + 1]}")
                i += 2
                continue
            joined.append(token)
            i += 1
        return super().parse_args(ctx, joined)


def program_command(name: str):
    """`@click.command` for a command that takes a program and its bindings."""
    return click.command(name, cls=ProgramCommand, context_settings=PROGRAM_SETTINGS)


def program_options(command):
    """The program argument, -f FILE and --set, shared by every command that takes a program."""
    command = click.option("--set", "sets", multiple=True, metavar="NAME=VALUE", help="Bind a variable (repeatable).")(
        command
    )
    command = click.option("-f", "--file", type=str, default=None, help="Read the program from FILE ('-' for stdin).")(
        command
    )
    return click.argument("args", nargs=-1, type=click.UNPROCESSED, metavar="[EXPR] [--NAME VALUE]...")(command)


def program_args(args: tuple[str, ...], sets: tuple[str, ...]) -> tuple[str | None, dict[str, str]]:
    """Split the raw arguments into the program text and the bindings (name -> text)."""
    expr, given = None, {}
    i = 0
    while i < len(args):
        token = args[i]
        if token.startswith("--") and len(token) > 2:
            name, eq, value = token[2:].partition("=")
            if not name.isidentifier():
                raise InputError(f"no such option: {token}")
            if not eq:
                if i + 1 >= len(args):
                    raise InputError(f"{token} needs a value")
                i += 1
                value = args[i]
            given[name] = value
        elif expr is None:
            expr = token
        else:
            raise InputError(f"unexpected argument {token!r}: the program is already given ({expr!r}); quote it")
        i += 1
    for item in sets:
        name, eq, value = item.partition("=")
        if not eq or not name.strip().isidentifier():
            raise InputError(f"--set {item}: expected NAME=VALUE")
        given[name.strip()] = value
    return expr, given


def format_option(*choices: str):
    return click.option(
        "--format", "fmt", type=click.Choice(choices), default=choices[0], show_default=True, help="Output format."
    )


def precision_option(command):
    return click.option(
        "--precision", type=click.IntRange(0, 17), default=4, show_default=True, help="Decimal places shown."
    )(command)


def stdout_console():
    from rich.console import Console

    return Console(highlight=False, soft_wrap=False)


def echo_json(record: dict) -> None:
    """One JSON object on stdout, floats at full precision."""
    click.echo(json.dumps(record, allow_nan=False))


def _error(message: str) -> None:
    # Input text quoted in a message never reaches the terminal as control characters (escape
    # sequences); a tab becomes one space, so that a caret under a column stays in place.
    message = "".join(c if c.isprintable() or c == "\n" else " " if c == "\t" else "?" for c in message)
    first, _, rest = message.partition("\n")
    try:
        click.echo(click.style("error:", fg="red", bold=True) + f" {first}", err=True)
        if rest:
            click.echo(rest, err=True)
    except OSError:  # standard error is gone too (a closed terminal after SIGHUP): the exit code says it
        pass


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI, turning every failure into `error: ...` and its exit code.

    Ctrl-C, SIGTERM and SIGHUP end a run with the same clean-up (exit 130, 143, 129).
    """
    if sys.stdout is None:  # started with standard output closed (`>&-`): output goes nowhere, as with `echo`
        sys.stdout = open(os.devnull, "w")  # lives as long as the process
    elif hasattr(sys.stdout, "reconfigure"):  # an ASCII-only terminal shows Δ or ∂ as '?' rather than failing
        sys.stdout.reconfigure(errors="replace")
    try:
        with interrupts.handled():
            code = _run(argv)
            _flush()
    except KeyboardInterrupt:  # a second signal while the first one's error was being said
        code = 130
    sys.exit(interrupts.exit_code(code or 0))


def _run(argv: list[str] | None) -> int:
    """Run the command line; say any failure as one `error: ...` line; the exit code."""
    out_of_memory = False
    try:
        code = cli.main(args=argv, prog_name="gradcli", standalone_mode=False)
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except (click.exceptions.Abort, KeyboardInterrupt):  # click turns Ctrl-C into Abort
        _error(interrupts.described("interrupted"))
        code = 130
    except click.ClickException as exc:
        message = exc.format_message()
        _error(message[:1].lower() + message[1:])
        code = 2 if isinstance(exc, click.UsageError) else exc.exit_code
    except GradcliError as exc:
        _error(interrupts.described(str(exc)))
        code = exc.exit_code
    except BrokenPipeError:  # the reader went away: nothing more to say
        _drop_stdout()
        code = 1
    except OSError as exc:  # writing the output failed: a full disk, a closed terminal
        _drop_stdout()
        message = exc.strerror or str(exc)
        _error(message[:1].lower() + message[1:])
        code = 1
    except MemoryError:
        out_of_memory = True  # said below, once the traceback and the work it holds are freed
    except Exception as exc:  # a bug in gradcli: one line that says where, never a traceback
        if os.environ.get("GRADCLI_DEBUG"):
            raise
        report = "please report it; GRADCLI_DEBUG=1 shows more"
        _error(f"internal error at {_where(exc)}: {type(exc).__name__}: {exc} ({report})")
        code = 1
    if out_of_memory:
        _error("out of memory: the program is too large for this machine")
        code = 1
    return code


def _flush() -> None:
    """Flush standard output now, so that a failure cannot surface at exit as a traceback (exit 120)."""
    try:
        sys.stdout.flush()
    except (OSError, ValueError):
        _drop_stdout()


def _drop_stdout() -> None:
    """Point standard output at /dev/null so that the flush at exit cannot fail a second time."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass  # not a real file (tests capture it): nothing is flushed at exit


def _where(exc: BaseException) -> str:
    """`gradcheck.py:52`: the innermost frame of gradcli's own code in the exception's traceback.

    gradcli's own code is the files of this package, wherever it is installed: a path that merely
    contains "gradcli" (the clone's folder, a user's ~/gradcli-play/) is not.
    """
    package = Path(__file__).resolve().parent
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if Path(f.filename).resolve().is_relative_to(package)]
    return f"{Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else "unknown place"
