"""Reliability, class 2 — size and depth, through the command line (`gradcli eval -f FILE`).

Each either works or ends with one clear error; nothing recurses, so depth is limited only by
memory. Covered here:

* a 100,000-statement program (a chain of re-assignments);
* 20,000-deep nesting: parentheses, function calls, unary minus;
* a 100,000-term sum;
* 5,000-level power towers x**x**...**x: exact at x = 1, a clean overflow error at x = 2;
* a 10 MB program file (mostly comments), and a file past the 16 MB read limit;
* with GRADCLI_SLOW_TESTS=1 also a 10 MB program of real statements (minutes, gigabytes).

The library path at the same sizes is in test_language.py.
"""

from __future__ import annotations

import json
import math
import os

import pytest

from gradcli.parser import parse
from gradcli.source import MAX_SOURCE_BYTES
from helpers import run_cli
from reliability import assert_clean, base, bindings, program_commands

when_asked = pytest.mark.skipif(not os.environ.get("GRADCLI_SLOW_TESTS"), reason="minutes; set GRADCLI_SLOW_TESTS=1")


def eval_file(tmp_path, text: str, *args: str):
    """`gradcli eval -f FILE --format json ARGS`: the JSON record, after checking the run was clean."""
    path = tmp_path / "program.grad"
    path.write_text(text)
    result = run_cli("eval", "-f", str(path), "--format", "json", *args)
    assert_clean(result, "eval")
    return result


def record(result) -> dict:
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.slow
def test_hundred_thousand_statements(tmp_path):
    n = 100_000
    out = record(eval_file(tmp_path, "x = 1\n" + "x = x*1.0001 + 0.01\n" * n))
    expected, slope = 1.0, 1.0
    for _ in range(n):
        expected = expected * 1.0001 + 0.01
        slope *= 1.0001
    start = out["nodes"][0]  # the variable x (x = 1); "x" in "grads" is the last assignment, the output
    assert (start["op"], out["grads"]["x"]) == ("var", 1.0)
    assert out["value"] == pytest.approx(expected, rel=1e-12)
    assert start["grad"] == pytest.approx(slope, rel=1e-12)
    assert len(out["nodes"]) == 4 * n + 1  # the variable, then two constants, a product and a sum per statement


@pytest.mark.parametrize(
    "opening,closing,value",
    [
        ("(", "*1.0001)", 1.0001**20_000),
        ("tanh(", ")", None),  # tanh applied 20,000 times: small but positive
        ("-", "", 1.0),  # an even number of minus signs
    ],
)
@pytest.mark.slow
def test_twenty_thousand_deep_nesting(tmp_path, opening, closing, value):
    depth = 20_000
    out = record(eval_file(tmp_path, "x = 1\n" + opening * depth + "x" + closing * depth))
    assert 0 < out["value"] < 1 if value is None else out["value"] == pytest.approx(value, rel=1e-9)
    assert math.isfinite(out["grads"]["x"])


@pytest.mark.parametrize("command", [c for c in program_commands() if c != "eval"])
@pytest.mark.slow
def test_twenty_thousand_deep_nesting_in_every_command(tmp_path, command):
    """Views walk the graph too: explain, graph, check and step must not recurse (nor go quadratic) either."""
    path = tmp_path / "program.grad"
    path.write_text("x = 0.5\n" + "tanh(" * 20_000 + "x" + ")" * 20_000)
    result = run_cli(command, "-f", str(path), *bindings(command, "--x", "0.5"), *base(command))
    assert_clean(result, command)
    assert result.exit_code == 0 and result.stdout


def test_the_source_text_of_a_node_is_bounded():
    """Nested spans hold one another: a view that read each whole span would be quadratic (eval --all, explain)."""
    graph = parse("tanh(" * 20_000 + "x" + ")" * 20_000)
    texts = [graph.text(i) for i in range(len(graph.nodes))]
    assert max(map(len, texts)) == 203
    assert texts[1] == "tanh(x)" and texts[-1].startswith("tanh(tanh(") and texts[-1].endswith("...")


@pytest.mark.slow
def test_hundred_thousand_term_sum(tmp_path):
    terms = 100_000
    names = [f"x{i}" for i in range(100)]
    program = "\n".join(f"{n} = {i}" for i, n in enumerate(names)) + "\nL = " + " + ".join(names * (terms // 100))
    out = record(eval_file(tmp_path, program))
    assert out["value"] == sum(range(100)) * (terms // 100)
    assert out["grads"]["x7"] == terms // 100


def tower(levels: int) -> str:
    return "x" + "**x" * (levels - 1)


def test_five_thousand_level_power_tower(tmp_path):
    out = record(eval_file(tmp_path, tower(5000), "--x", "1"))
    assert out["value"] == 1.0
    assert out["grads"]["x"] == 1.0  # d/dx of x**t(x) at 1 is t(1) = 1, level after level


def test_power_tower_overflow_is_a_clean_error(tmp_path):
    result = eval_file(tmp_path, tower(5000), "--x", "2")
    assert result.exit_code == 1
    assert "overflow" in result.stderr
    assert "x**x**x**x**x at line 1, column" in result.stderr  # the level that first overflows: 2**65536


@pytest.mark.slow
def test_ten_megabyte_program_file(tmp_path):
    comment = "# " + "a comment that pads the file " * 3 + "\n"
    lines = 10 * 2**20 // len(comment) + 1
    out = record(eval_file(tmp_path, "a = 2\n" + comment * lines + "L = a*a\n"))
    assert (tmp_path / "program.grad").stat().st_size > 10 * 2**20
    assert out["value"] == 4.0 and out["grads"]["a"] == 4.0


def test_a_file_past_the_read_limit_is_a_clean_error(tmp_path):
    result = eval_file(tmp_path, " " * (MAX_SOURCE_BYTES + 1))
    assert result.exit_code == 2
    assert "larger than 16 MB" in result.stderr


@pytest.mark.slow
@when_asked
def test_ten_megabytes_of_statements(tmp_path):
    statement = "x = x*1.0001 + 0.01\n"
    n = 10 * 2**20 // len(statement)
    path = tmp_path / "program.grad"
    path.write_text("x = 1\n" + statement * n)
    result = run_cli("step", "-f", str(path), "--lr", "1e-9", "--format", "json")
    assert_clean(result, "step")
    assert result.exit_code == 0, result.stderr
    assert math.isfinite(json.loads(result.stdout)["after"]["value"])


def test_running_out_of_memory_is_one_clean_error(monkeypatch):
    def exhausted(text):
        raise MemoryError

    monkeypatch.setattr("gradcli.program.parse", exhausted)
    result = run_cli("eval", "L = x", "--x", "1")
    assert (result.exit_code, result.stderr) == (1, "error: out of memory: the program is too large for this machine\n")
