"""What the commands share: the program and its bindings from the command line, the common options,
the output helpers, the progress bar and the check of an output file's name.

A command is one module of `gradcli/commands/` defining `command`; it wires this toolkit, a model
and a view. The command line itself (the group, lazy loading, errors to exit codes) is `cli.py`.
"""

from __future__ import annotations

import json
import os
import sys
from contextlib import contextmanager
from pathlib import Path

import click

from ..errors import BindingError, InputError, shorten
from ..interrupts import interruptible, shielded
from ..output import check_path
from ..program import Program, Run, parse_number

#: Settings for commands that take a program and its bindings.
PROGRAM_SETTINGS = {"ignore_unknown_options": True, "allow_extra_args": True, "help_option_names": ["-h", "--help"]}
#: The settings of every other command.
SETTINGS = {"help_option_names": ["-h", "--help"]}

# ---- commands that take a program ----------------------------------------------------------------


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


def of_option(help: str = "Differentiate this node (any name shown) instead of the output."):
    """--of NAME: the node a command works on instead of the program's output."""
    return click.option("--of", "of", metavar="NAME", help=help)


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


def program_input(args: tuple[str, ...], sets: tuple[str, ...], file: str | None, of: str | None = None) -> Program:
    """The program of the command line, its bindings and `--of`; the arguments are split at once (so that
    their mistakes are said first), the program read and parsed when first used."""
    expr, given = program_args(args, sets)
    return Program(expr, file, given, of)


def load_run(args: tuple[str, ...], sets: tuple[str, ...], file: str | None, of: str | None, strict=False) -> Run:
    """The program of the command line, evaluated and differentiated (`--strict`: a gradient that is not
    finite is an error)."""
    return program_input(args, sets, file, of).run(strict)


# ---- options -------------------------------------------------------------------------------------


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


def learning_rate(text: str, hint: str = "") -> float:
    """--lr: a positive finite number (`hint` follows the error for one that is not positive)."""
    lr = parse_number(text, "--lr")
    if lr <= 0:
        raise InputError(f"--lr must be positive (got {text}){hint}")
    return lr


def output_format(path: str, formats: tuple[str, ...], wrong: str) -> str:
    """The format an output file's extension names (`.gv` is DOT), checked before any work is done.

    `wrong` is the error for an extension not in `formats`; a path that cannot be written (a
    missing folder, a folder, a looping link) is refused as writing it would be.
    """
    fmt = Path(path).suffix.lower().lstrip(".")
    fmt = "dot" if fmt == "gv" else fmt
    if fmt not in formats:
        raise InputError(wrong)
    check_path(path)
    return fmt


def plot_format(path: str) -> str:
    """The format of a --plot picture (train's, step's), from its extension; checked before any work."""
    return output_format(path, ("png", "svg", "pdf"), f"--plot {path}: expected a .png, .svg or .pdf file name")


# ---- output --------------------------------------------------------------------------------------


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
    """Text made piece by piece (a large JSON record, CSV rows) on stdout, without joining it first."""
    for piece in pieces:
        sys.stdout.write(piece)
    sys.stdout.flush()


@contextmanager
def progress(kind: str, total: int, show: bool = True, label: str = "", **fields):
    """A progress bar of `kind` (`views/progress.py`) on standard error, while that is a capable terminal
    (and `show`); `fields` are its fields' first values.

    Yields `update(completed, **changes)`, or None when no bar is shown. The bar is set up and taken
    down whole whenever a signal comes; inside the block a signal acts at once.
    """
    if not show or not _maybe_terminal():  # decided before Rich is imported: output to a pipe never loads it
        yield None
        return
    from rich.console import Console

    err = Console(stderr=True)
    if not err.is_terminal or err.is_dumb_terminal:
        yield None
        return
    from ..views.progress import progress_bar

    bar = progress_bar(kind, err, label)
    with shielded():
        bar.start()
        try:
            task = bar.add_task("", total=total, **fields)

            def update(completed: int, **changes) -> None:
                bar.update(task, completed=completed, **changes)

            with interruptible():
                yield update
        finally:
            bar.stop()


def _maybe_terminal() -> bool:
    """Could Rich take standard error for a terminal? Only if it is one, or the environment tells it to act as one."""
    # A set, not a generator expression: a signal that lands while a generator is being closed is lost
    # (tests/test_reliability_interrupt.py delivers one at every moment of step).
    if os.environ.keys() & {"FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"}:
        return True
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):  # closed, or not a file
        return False
