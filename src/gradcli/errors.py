"""gradcli's own exceptions. The CLI turns each into one `error: ...` line and its exit code."""

from __future__ import annotations


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


class UnboundVariable(InputError):
    """Variables that were never bound; `names` lists every one."""

    def __init__(self, names: list[str]):
        self.names = names
        flags = " ".join(f"--{n} VALUE" for n in names)
        super().__init__(f"unbound variable{'s' if len(names) > 1 else ''}: {', '.join(names)} (bind with {flags})")


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
