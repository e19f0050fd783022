"""Helpers the tests import: run the real entry point (gradcli.cli.main) in-process at a fixed width."""

from __future__ import annotations

import shutil
from dataclasses import dataclass

import pytest
from click.testing import CliRunner

from gradcli.cli import main

WIDTH = 100
#: For tests of the PNG and PDF paths, which need Graphviz's dot program (a fresh machine has none).
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str


def run_cli(*args: str, input: str | bytes | None = None, env: dict | None = None) -> Result:
    """Run `gradcli ARGS...` through main(), as the console script does, capturing both streams."""
    runner = CliRunner()
    environment = {"COLUMNS": str(WIDTH), "NO_COLOR": "1", "TERM": "dumb"} | (env or {})
    with runner.isolation(input=input, env=environment) as (out, err, *_):
        try:
            main(list(args))
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        return Result(code, out.getvalue().decode(errors="replace"), err.getvalue().decode(errors="replace"))
