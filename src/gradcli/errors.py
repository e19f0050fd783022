"""gradcli's own exceptions. The CLI turns each into one `error: ...` line and its exit code."""

from __future__ import annotations

from collections.abc import Iterable

from .suggest import did_you_mean

SHOWN = 20  # names a message lists; the others are counted
QUOTED = 60  # characters of input text a message quotes


def shorten(text: str, limit: int = QUOTED) -> str:
    """Input text as a message quotes it: cut to `limit` characters, ending in `...` when cut."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def listing(names: Iterable[str], empty: str = "none") -> str:
    """`a, b, c`: at most SHOWN names (each shortened), then `and 1,778 more`."""
    names = list(names)
    shown = ", ".join(shorten(n) for n in names[:SHOWN])
    return (shown + (f" and {len(names) - SHOWN:,} more" if len(names) > SHOWN else "")) or empty


def bind_flags(names: list[str], options: Iterable[str] = ()) -> str:
    """`--a VALUE --set lr=VALUE`: how to bind each name (`--set` for one named like an option)."""
    options = frozenset(options)
    flags = [f"--set {n}=VALUE" if n in options else f"--{n} VALUE" for n in (shorten(n) for n in names[:SHOWN])]
    return " ".join(flags) + (" ..." if len(names) > SHOWN else "")


class GradcliError(Exception):
    """Base class; `exit_code` is what the CLI exits with."""

    exit_code = 1


class InputError(GradcliError):
    """Bad input: syntax, unknown names, bad bindings or options, unreadable files (exit 2)."""

    exit_code = 2


class ParseError(InputError):
    """A syntax error, with the line and a caret under the offending column."""

    def __init__(self, message: str, line: int, column: int, context: str = ""):
        self.line, self.column, self.context = line, column, context
        super().__init__(message)

    def __str__(self) -> str:
        text = f"{self.args[0]} (line {self.line}, column {self.column})"
        return f"{text}\n{self.context.rstrip()}" if self.context else text


class BindingError(InputError):
    """A mistake in binding variables. Its message names the command's options, which the command
    line fills in (`options`: the NAME of each `--NAME` option; `command`: its name)."""

    options: frozenset[str] = frozenset()
    command = "this command"


class UnboundVariable(BindingError):
    """Variables that were never bound; `names` lists every one."""

    def __init__(self, names: list[str]):
        self.names = names
        super().__init__(names)

    def __str__(self) -> str:
        names = self.names
        clash = [f"--{n}" for n in names[:SHOWN] if n in self.options]
        why = (
            f"; {', '.join(clash)} {'is an option' if len(clash) == 1 else 'are options'} of {self.command}"
            if clash
            else ""
        )
        s = "s" if len(names) > 1 else ""
        return f"unbound variable{s}: {listing(names)} (bind with {bind_flags(names, self.options)}{why})"


class UnknownVariable(BindingError):
    """A binding of a name that is not a variable of the program: suggests a variable, or else an
    option of the command when the name is close to one (`--precison`)."""

    def __init__(self, name: str, variables: list[str], computed: bool = False):
        self.name, self.variables, self.computed = name, variables, computed
        super().__init__(name)

    def __str__(self) -> str:
        name, listed = shorten(self.name), f"(its variables: {listing(self.variables)})"
        if self.computed:
            return f"{name} is computed by the program, not a variable {listed}"
        hint = did_you_mean(self.name, self.variables)
        if not hint and (option := did_you_mean(self.name, sorted(self.options), "--")):
            return f"--{name} is not an option of {self.command} nor a variable{option} {listed}"
        return f"{name} is not a variable of the program{hint} {listed}"


class EvalError(GradcliError):
    """An evaluation that fails: names the operation and where it is in the source (exit 1)."""

    def __init__(self, message: str, node: int | None = None):
        self.node = node
        super().__init__(message)


class DomainError(EvalError):
    """An operation outside its domain: log of a negative, division by zero, overflow."""


class Interrupted(GradcliError):
    """Ctrl-C (exit 130), SIGTERM (143) or SIGHUP (129): the command line names the signal and exits 128 + it."""

    exit_code = 130
