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
from contextlib import contextmanager
from pathlib import Path

import click

from . import __version__, interrupts
from .errors import BindingError, GradcliError, InputError, Interrupted, shorten
from .suggest import did_you_mean

ORDER = ["eval", "graph", "step", "explain", "diff", "hessian", "check", "train", "audit"]

#: Settings for commands that take a program and its bindings.
PROGRAM_SETTINGS = {"ignore_unknown_options": True, "allow_extra_args": True, "help_option_names": ["-h", "--help"]}


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


class ProgramCommand(click.Command):
    """A command that takes a program and its variable bindings besides its own options.

    Before click parses, the arguments are sorted: the command's own options and their values go
    to click; everything else (the program and its `--NAME VALUE` bindings) goes, untouched, to
    the `args` argument. So a program that starts with `-` (`-tanh(x)`) is never read as options
    unless it is exactly one (`-f`, `-h`), a value such as `-3` or `-f` is never read as an option,
    and `--help` anywhere shows the help.
    """

    def option_names(self) -> frozenset[str]:
        """The NAME of every `--NAME` option: a variable with one of these names is bound with --set."""
        return frozenset(o[2:] for p in self.get_params(click.Context(self)) for o in p.opts if o.startswith("--"))

    def parse_args(self, ctx, args):
        takes_value = {
            o: not p.is_flag and not p.count for p in self.params if isinstance(p, click.Option) for o in p.opts
        }
        head = args[: args.index("--")] if "--" in args else args
        if any(token in ctx.help_option_names for token in head):
            return super().parse_args(ctx, ["--help"])
        own, rest, words, flag, i = [], [], [], None, 0  # words: (program or stray word, the flag just before)
        while i < len(args):
            token, after, flag = args[i], flag, None
            option = token if token in takes_value else token.partition("=")[0] if token.startswith("--") else None
            if token == "--":
                rest.extend(args[i + 1 :])
                break
            if option in takes_value:  # an option with its value (whatever it looks like), or a flag
                width = 2 if token == option and takes_value[option] else 1
                own.extend(args[i : i + width])
                flag = None if takes_value[option] else token
                i += width
            elif token.startswith("--") and len(token) > 2:  # a binding: --NAME=VALUE or --NAME VALUE
                width = 1 if "=" in token else 2
                rest.extend(args[i : i + width])
                i += width
            else:  # the program (`-` for standard input), or a stray word
                rest.append(token)
                words.append((token, after))
                i += 1
        _check_words(self.name, words)
        return super().parse_args(ctx, [*own, "--", *rest])

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except BindingError as exc:  # its message names the command's options: fill them in
            exc.options, exc.command = self.option_names(), self.name
            raise


def _check_words(command: str, words: list[tuple[str, str | None]]) -> None:
    """A second word besides the program, just after a flag (`--all 3`), means a variable named like the flag."""
    after_flag = [(word, flag) for word, flag in words if flag is not None]
    if len(words) > 1 and after_flag:
        word, flag = after_flag[0]
        raise InputError(
            f"{flag} is an option of {command} and takes no value, so {shorten(word)!r} is not its value; "
            f"to bind a variable named {flag[2:]}, write --set {flag[2:]}={shorten(word)}"
        )


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
                raise InputError(f"no such option: {shorten(token)}")
            if not eq:
                if i + 1 >= len(args):
                    raise InputError(f"{shorten(token)} needs a value")
                i += 1
                value = args[i]
            given[name] = value
        elif expr is None:
            expr = token
        else:
            raise InputError(
                f"unexpected argument {shorten(token)!r}: the program is already given ({shorten(expr)!r}); quote it"
            )
        i += 1
    for item in sets:
        name, eq, value = item.partition("=")
        if not eq or not name.strip().isidentifier():
            raise InputError(f"--set {shorten(item)}: expected NAME=VALUE")
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


def strict_option(command):
    return click.option(
        "--strict",
        is_flag=True,
        help="Make a gradient that is infinite or undefined an error (exit 1); with --data, at the first such row.",
    )(command)


def echo_note(text: str) -> None:
    """`note: TEXT` on stderr, when there is something to say."""
    if text:
        click.echo(f"note: {text}", err=True)


def stdout_console():
    from rich.console import Console

    return Console(highlight=False, soft_wrap=False)


def echo_json(record: dict) -> None:
    """One JSON object on stdout, floats at full precision."""
    click.echo(json.dumps(record, allow_nan=False))


def echo_pieces(pieces) -> None:
    """Text made piece by piece (a large JSON record) on stdout, without joining it first."""
    for piece in pieces:
        sys.stdout.write(piece)
    sys.stdout.flush()


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
