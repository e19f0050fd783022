"""The command line: the group of commands, loaded lazily, and every failure turned into one `error:` line.

Each command lives in `gradcli/commands/NAME.py` and is imported only when it runs, so start-up
stays fast; what the commands share (their options, the program and its bindings, output, progress)
is `gradcli/commands/_toolkit.py`. Here: the group, its help, click's option errors with gradcli's
suggestion, and `main`, which maps errors and signals (Ctrl-C, SIGTERM, SIGHUP) to exit codes.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import signal
import sys
import traceback
from contextlib import contextmanager
from pathlib import Path

import click

from . import __version__, interrupts
from .errors import GradcliError, InputError, Interrupted, shorten
from .suggest import did_you_mean

ORDER = ["eval", "graph", "step", "explain", "diff", "hessian", "check", "train", "audit"]


class LazyGroup(click.Group):
    """Finds commands in gradcli.commands and imports one only when it is used; `help` is built in."""

    def list_commands(self, ctx):
        from . import commands

        found = {m.name for m in pkgutil.iter_modules(commands.__path__) if not m.name.startswith("_")}
        return [n for n in ORDER if n in found] + sorted(found - set(ORDER)) + ["help"]

    def get_command(self, ctx, name):
        if name == "help":
            return help_command
        if name not in self.list_commands(ctx):
            return None
        return importlib.import_module(f"gradcli.commands.{name}").command

    def resolve_command(self, ctx, args):
        name = args[0]
        if not name.startswith("-") and self.get_command(ctx, name) is None:
            names = self.list_commands(ctx)
            hint = did_you_mean(name, names) or f" (commands: {', '.join(names)})"
            raise InputError(f"no such command {shorten(name)!r}{hint}")
        return super().resolve_command(ctx, args)

    def parse_args(self, ctx, args):
        with _suggesting_options():
            return super().parse_args(ctx, args)

    def invoke(self, ctx):
        try:
            with _suggesting_options():  # a command's options are parsed as the group invokes it
                return super().invoke(ctx)
        except interrupts.Interrupt as exc:
            if exc.signum == signal.SIGINT:
                raise  # click starts a new line, after the ^C that the terminal shows
            raise Interrupted("interrupted") from None  # SIGTERM, SIGHUP: no ^C on the screen


@contextmanager
def _suggesting_options():
    """click's "no such option" with gradcli's suggestion (click's own lists several names)."""
    try:
        yield
    except click.NoSuchOption as exc:
        options = [o for p in exc.ctx.command.get_params(exc.ctx) for o in p.opts] if exc.ctx else []
        hint = did_you_mean(exc.option_name, options)
        raise InputError(f"no such option: {shorten(exc.option_name)}{hint}") from None


@click.group(cls=LazyGroup, invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="gradcli")
@click.pass_context
def cli(ctx):
    """Differentiate scalar programs by reverse-mode automatic differentiation, and show the work.

    \b
    Examples:
      gradcli eval "L=(a*b+c)*f" --a 2 --b -3 --c 10 --f -2
      gradcli graph "o=tanh(x1*w1 + x2*w2 + b)" --out neuron.svg
      gradcli step "L=(a*b+c)*f" --a 2 --b -3 --c 10 --f -2 --lr 0.001
      gradcli explain "e=a*b; d=e+c; L=d*f" --a 2 --b -3 --c 10 --f -2
      gradcli diff "y = x**2*sin(x)"
      gradcli check "y = sigmoid(x)**3 + relu(x - z)" --x 0.5 --z 0.1
      gradcli train --data moons --plot boundary.png
      gradcli audit my_micrograd.py

    \b
    Bind variables with --NAME VALUE, --NAME=VALUE or --set NAME=VALUE.
    Run 'gradcli help COMMAND' or 'gradcli COMMAND --help' for a command's options.
    """
    if ctx.invoked_subcommand is None:  # bare `gradcli`: the help, as a first page
        click.echo(ctx.get_help())


@click.command("help", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("name", metavar="[COMMAND]", required=False)
@click.pass_context
def help_command(ctx, name):
    """Show the help of gradcli, or of one command."""
    group = ctx.parent
    if name is None:
        click.echo(group.get_help())
        return
    command = group.command.resolve_command(group, [name])[1]
    click.echo(command.get_help(click.Context(command, info_name=name, parent=group)))


def _error(message: str) -> None:
    # Each line is cut to a bound, whatever a message quotes (a path, a value click names in full).
    # Input text quoted in a message never reaches the terminal as control characters (escape
    # sequences); a tab becomes one space, so that a caret under a column stays in place.
    message = "\n".join(shorten(line, 500) for line in message.split("\n"))
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
