"""`gradcli audit`: grade a learner's own micrograd-style class, op by op, against gradcli's engine.

This is the only part of gradcli that runs code other than its own: the given file, imported in a
child process with limits (`runner.py`, `child.py`), because running it is the point. gradcli
itself only compares numbers: each case's program is written as gradcli program text, which
gradcli's parser and engine evaluate (`cases.py`); the checks and their verdicts are in
`battery.py`, the known bugs in `diagnose.py`.
"""

from __future__ import annotations

import os
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from tempfile import TemporaryDirectory

from ..errors import InputError
from ..source import read_source
from .battery import FAIL, UNSUPPORTED, Battery, Row
from .child import Child

__all__ = ["FAIL", "UNSUPPORTED", "Report", "Row", "audit"]


@dataclass
class Report:
    """The report card: the file, the class found in it, one row per check."""

    file: str
    cls: str
    rows: list[Row]
    supported: list[str]  # the operator and method checks the class supports

    @property
    def ok(self) -> bool:
        return all(row.status != FAIL for row in self.rows)


def audit(
    target: str,
    class_name: str | None = None,
    nn: str | None = None,
    seed: int = 0,
    examples: int = 100,
    timeout: float = 2.0,
) -> Report:
    """Audit the class in `target` (a Python file, `-` for standard input, or a module name).

    Raises InputError when the file cannot be read or imported, or has no such class.
    """
    with ExitStack() as stack:
        where, is_path, folder = _locate(target, stack)
        load = {"target": where, "is_path": is_path, "folder": folder, "class": class_name, "nn": None}
        if nn is not None:
            where, is_path, folder = _locate(nn, stack)
            load |= {"nn": where, "nn_is_path": is_path, "nn_folder": folder}
        child = stack.enter_context(Child(load))
        loaded = child.start()
        if not loaded.get("ok"):
            raise InputError(_load_error(target, nn, loaded))
        battery = Battery(
            child, loaded["class"], set(loaded["attributes"]), loaded["recursion_limit"], timeout, seed, examples,
            nn is not None,
        )  # fmt: skip
        rows = battery.run()
    return Report(target, loaded["class"], rows, battery.supported)


def _locate(target: str, stack: ExitStack) -> tuple[str, bool, str]:
    """(what the child imports, is it a path, the folder to put first on sys.path) for a file (read
    here first, so that an unreadable file gets gradcli's usual error), standard input (saved to a
    private temporary file) or a module name (found from the current folder, as `python -m` does)."""
    if target == "-" or target.endswith(".py") or os.sep in target or os.path.exists(target):
        source = read_source(None, target, "Python source")
        if target != "-":
            return target, True, os.path.dirname(os.path.abspath(target))
        path = Path(stack.enter_context(TemporaryDirectory(prefix="gradcli-audit-")), "stdin.py")
        path.write_text(source, encoding="utf-8")
        return str(path), True, os.getcwd()
    if not all(part.isidentifier() for part in target.split(".")):
        raise InputError(f"cannot read {target}: no such file (nor a module name)")
    return target, False, os.getcwd()


def _load_error(target: str, nn: str | None, answer: dict) -> str:
    """The one error line (and Python's own lines, for a syntax error) when the file cannot be loaded."""
    error, message = answer.get("error", ""), answer.get("message", "")
    phase = answer.get("phase")
    if phase == "timeout":
        return f"importing {target} did not finish within {answer['seconds']:g} s"
    if phase == "crash":
        return f"importing {target} crashed: {message}"
    which = f"--nn {nn}" if error.startswith("nn") else target
    if error.endswith("syntax"):
        return f"{which} is not valid Python:\n{message.rstrip()}"
    if error.endswith("import"):
        return f"cannot import {which}: {message}"
    return f"{which}: {message}"
