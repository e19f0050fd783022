"""Reliability, class 5 — security: program text is only parsed, output goes only where told.

* No code in src/gradcli calls eval, exec, compile or __import__, runs a shell, or unpickles:
  the program text reaches nothing but the grammar (a scan of the syntax trees, checked against
  a planted offender so that the scan itself can fail). Importing a module by name or path runs
  its code: that happens in exactly two places, each allowed below with its reason.
* Text that is Python code is a syntax error, and does nothing.
* Every command writes no file unless an output option names it, and then only that file:
  output paths are used as given, never made from the program text.
* A command name is looked up among gradcli's own commands, never imported as given.
* Input text quoted in an error (a source line, a CSV header) never sends control characters,
  such as terminal escape sequences, to the terminal.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import gradcli
from helpers import run_cli
from reliability import assert_clean, base, bindings, commands, default_input, scratch_folder, takes_program

SOURCE = Path(gradcli.__file__).parent
FORBIDDEN_CALLS = {"eval", "exec", "compile", "__import__", "breakpoint"}
FORBIDDEN_ATTRIBUTES = {
    ("os", "system"),
    ("os", "popen"),
    ("pickle", "load"),
    ("pickle", "loads"),
    ("marshal", "loads"),
}


#: Calls that import (and so run) a module given by name or path.
IMPORTS = {"import_module", "exec_module", "run_path", "run_module", "load_module"}
#: The only places allowed to make them, and why.
ALLOWED = {
    # a command's module, by a name that LazyGroup.get_command first finds among gradcli's own commands
    "cli.py": ["import_module()"],
    # `gradcli audit FILE` imports FILE in its child process: running the learner's code is what audit is for
    "audit/runner.py": ["exec_module()", "import_module()"],
}


def offences(source: str) -> list[str]:
    """Calls in `source` that could run text as code."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in FORBIDDEN_CALLS:
            found.append(f"line {node.lineno}: {func.id}()")
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            if (func.value.id, func.attr) in FORBIDDEN_ATTRIBUTES or func.attr in FORBIDDEN_CALLS - {"compile"}:
                found.append(f"line {node.lineno}: {func.value.id}.{func.attr}()")
        if isinstance(func, ast.Attribute) and func.attr in IMPORTS:
            found.append(f"{func.attr}()")
        if any(
            k.arg == "shell" and not (isinstance(k.value, ast.Constant) and not k.value.value) for k in node.keywords
        ):
            found.append(f"line {node.lineno}: shell=")
    return found


def test_the_scan_finds_a_planted_offender():
    planted = (
        "import os, re, subprocess\nre.compile('x')\neval(text)\nos.system(t)\nsubprocess.run(t, shell=True)\n"
        "importlib.import_module(name)\nspec.loader.exec_module(m)\n"
    )
    assert offences(planted) == [
        "line 3: eval()", "line 4: os.system()", "line 5: shell=", "import_module()", "exec_module()"
    ]  # fmt: skip


def test_no_source_file_runs_text_as_code():
    files = sorted(SOURCE.rglob("*.py"))
    assert len(files) > 10
    found = {f.relative_to(SOURCE).as_posix(): offences(f.read_text()) for f in files}
    assert {name: sorted(calls) for name, calls in found.items() if calls} == ALLOWED


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os').system('touch pwned')",
        "open('pwned', 'w').write('x')",
        "exec(\"open('pwned','w')\")",
        "x = [c for c in ().__class__.__base__.__subclasses__()]",
        "lambda: 0",
    ],
)
def test_python_code_is_a_syntax_error_and_does_nothing(text):
    with scratch_folder() as folder:
        result = run_cli("eval", text)
        assert_clean(result, "eval")
        assert result.exit_code == 2
        assert list(Path(folder).iterdir()) == []


@pytest.mark.parametrize("command", commands())
def test_a_command_writes_nothing_unless_told(command):
    pairs = bindings(command, "--etc", "1", "--passwd", "2", "--tmp", "3")
    program = ["L = etc*passwd + tmp", *pairs] if takes_program(command) else default_input(command)
    with scratch_folder() as folder:
        result = run_cli(command, *program, *base(command))
        assert_clean(result, command)
        assert result.exit_code == 0
        assert list(Path(folder).iterdir()) == []


@pytest.mark.parametrize(
    "argv",
    [
        ["graph", "L = etc*passwd", "--etc", "1", "--passwd", "2", "--out", "given.svg"],
        ["step", "L = etc*passwd", "--etc", "1", "--passwd", "2", "--lr", "0.1", "--graph", "given.svg"],
        ["train", "--steps", "2", "--hidden", "2", "--plot", "given.svg"],
    ],
)
def test_an_output_file_is_exactly_the_path_given(argv):
    with scratch_folder() as folder:
        result = run_cli(*argv)
        assert_clean(result, argv[0])
        assert [p.name for p in Path(folder).iterdir()] == ["given.svg"]


@pytest.mark.parametrize("name", ["os", "..", "commands.eval", "gradcli.commands.eval", "__init__", "cli"])
def test_a_command_name_is_never_imported_as_given(name):
    result = run_cli(name)
    assert result.exit_code == 2
    assert f"no such command '{name}'" in result.stderr


ESCAPES = "\x1b]0;title\x07\x1b[31mred\x9b2J"


@pytest.mark.parametrize(
    "argv,data",
    [
        (["eval", "-f"], f"x = 1\nL = x + # {ESCAPES}\n"),  # the caret context quotes the line
        (["train", "--data"], f"x1,x2,label,{ESCAPES}\n1,2,1,1\n"),  # the error quotes the header
    ],
)
def test_no_control_characters_reach_the_terminal(argv, data, tmp_path):
    path = tmp_path / "input.txt"
    path.write_text(data)
    result = run_cli(*argv, str(path))
    assert_clean(result, argv[0])
    assert result.exit_code == 2
    assert "red" in result.stderr
    assert not [c for c in result.stderr if not c.isprintable() and c != "\n"]


def test_a_tab_in_the_quoted_line_keeps_the_caret_under_its_column():
    result = run_cli("eval", "x +\t\ty )")
    assert result.stderr.endswith("(line 1, column 8)\n  x +  y )\n         ^\n")
