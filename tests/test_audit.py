"""`gradcli audit`: micrograd passes every check it supports; each planted bug in tests/audit_cases
is caught with its diagnosis; a class that hangs, crashes the interpreter, exits, prints a flood or
eats memory is one row; a file that cannot be loaded is exit 2; the report card and JSON exactly."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gradcli import Value
from gradcli.audit import FAIL, UNSUPPORTED, audit, child
from gradcli.audit.battery import OK, operator_checks
from gradcli.audit.cases import Program
from gradcli.audit.randomized import fair, programs
from gradcli.audit.runner import build
from helpers import run_cli

CASES = Path(__file__).parent / "audit_cases"
MICROGRAD_SUPPORTS = ["a + b", "a + 2", "2 + a", "a - b", "a - 2", "2 - a", "a * b", "a * 2", "2 * a"]
MICROGRAD_SUPPORTS += ["a / b", "a / 2", "2 / a", "-a", "a ** 2", "a.relu()"]


def run(name: str, **options):
    """Audit tests/audit_cases/NAME.py, by default without random programs (they have tests of their own)."""
    return audit(str(CASES / f"{name}.py"), **{"examples": 0, "timeout": 2.0} | options)


def by_check(report) -> dict:
    return {row.check: row for row in report.rows}


def failing(report) -> dict:
    return {row.check: row for row in report.rows if row.status == FAIL}


def runner_processes() -> list[str]:
    """Command lines of audit child processes still alive."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            line = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, ValueError):
            continue
        if str(child.RUNNER) in line:
            found.append(line)
    return found


# ---- what passes ----------------------------------------------------------------------------------


def test_micrograd_passes_every_check_it_supports():
    pytest.importorskip("micrograd")
    report = audit("micrograd.engine", nn="micrograd.nn", examples=30)
    rows = by_check(report)
    assert report.ok and report.cls == "Value"
    assert report.supported == MICROGRAD_SUPPORTS
    assert rows["a ** b"].got == "AssertionError: only supporting int/float powers for now"
    assert rows["2 ** a"].got == "needs a ** b"
    assert rows["a.tanh()"].got == "no tanh()"
    assert {row.status for row in report.rows} == {OK, UNSUPPORTED}
    assert rows["random programs"].got == "30 programs agree (seed 0)"
    assert rows["MLP(3, [4, 4, 1])"].status == rows["MLP zero_grad()"].status == OK
    # micrograd's own limits are notes on passing checks, not failures
    assert re.match(r"recursion depth: .* chains of up to \d+ steps", rows["chain of 1,000 steps"].diagnosis)
    assert rows["chain of 10,000 steps"].diagnosis.startswith("recursion depth")
    assert "compounds, as micrograd's does" in rows["backward() twice"].diagnosis


def test_a_correct_class_passes_every_check():
    report = run("value", examples=20)
    assert report.ok
    assert [row.check for row in report.rows if row.status == UNSUPPORTED] == [
        "a.sqrt()", "a.abs()", "a.sin()", "a.cos()", "a.tan()"
    ]  # fmt: skip
    assert [row.check for row in report.rows if row.diagnosis] == ["backward() twice"]
    assert by_check(report)["zero_grad()"].status == OK


def test_the_lectures_mlp_with_tanh_everywhere_passes_too():
    report = run("value", nn=str(CASES / "lecture_nn.py"))
    assert by_check(report)["MLP(3, [4, 4, 1])"].status == OK
    assert by_check(report)["MLP zero_grad()"].got == "the MLP has no zero_grad()"


# ---- the planted bugs --------------------------------------------------------------------------------

PLANTED = {
    "overwrite": {
        "fan-out: a + a": "gradient is overwritten, not accumulated: a + a gives a.grad = 1, expected 2 (use +=)",
        "fan-out: a * a": "gradient is overwritten, not accumulated: a * a gives a.grad = 3, expected 6 (use +=)",
        "diamond: b = a*a; out = b + a": "gradient is overwritten, not accumulated, as the fan-out checks show",
        "diamond: x = a*b; out = x*(x + a)": "gradient is overwritten, not accumulated, as the fan-out checks show",
        "chain of 1,000 steps": "gradient is overwritten, not accumulated, as the fan-out checks show",
        "chain of 10,000 steps": "gradient is overwritten, not accumulated, as the fan-out checks show",
    },
    "no_rmul": {
        "2 * a": "missing __rmul__: 2 * a raises TypeError while a * 2 works (define __rmul__",
        "2 / a": "missing __rmul__: 2 / a needs a number * Value, which raises TypeError in no_rmul.py, line 14",
    },
    "rsub_swapped": {"2 - a": "2 - a is computed as a - 2: __rsub__ must compute other - self, not self - other"},
    "pow_precedence": {
        "a / b": "b.grad has the wrong sign: d(x/y)/dy is -x/y**2 (with __truediv__ as self * other**-1, look at",
        "2 / a": "a.grad has the wrong sign: d(x/y)/dy is -x/y**2",
        "a ** 2": "a.grad has the wrong sign: the derivative of x**k is k * x**(k - 1)",
    },
    "no_visited": {"diamond: x = a*b; out = x*(x + a)": "a value reached by two paths is processed twice"},
    "tanh_x": {"a.tanh()": "1 - x**2 used instead of 1 - out**2"},
    "output_grad_added": {"backward() twice": "the second call sets the output's grad to 2, not 1"},
    "zero_grad_leaves": {"zero_grad()": "zero_grad() zeroes the leaves but not the intermediate values"},
}


@pytest.mark.parametrize("name", PLANTED)
def test_each_planted_bug_fails_exactly_its_checks_with_its_diagnosis(name):
    found = failing(run(name))
    assert set(found) == set(PLANTED[name])
    for check, diagnosis in PLANTED[name].items():
        assert diagnosis in found[check].diagnosis, found[check]


def test_a_failure_shows_the_program_expected_and_got():
    row = failing(run("tanh_x"))["a.tanh()"]
    assert row.program == "a = Value(0.5); out = a.tanh()"
    assert (row.expected, row.got) == ("a.grad = 0.786447732966", "a.grad = 0.75")


def test_micrograds_recursion_limit_is_reported_with_the_depth_where_it_failed():
    rows = by_check(run("recursive"))
    note = rows["chain of 1,000 steps"].diagnosis
    works, fails = map(int, re.search(r"chains of up to (\d+) steps .* and (\d+) steps fail", note).groups())
    assert fails == works + 1 and 400 < works < 500  # each step is two values deep; Python's limit is 1,000
    assert note.endswith("with the limit raised the result is right (a loop, not recursion, works at any depth)")
    assert rows["chain of 1,000 steps"].status == rows["chain of 10,000 steps"].status == OK


def test_random_programs_find_what_no_check_alone_shows():
    """The functions forget `* out.grad`: alone (out.grad = 1) they look right; composed they are not."""
    report = run("no_chain_rule", examples=100)
    found = failing(report)
    assert list(found) == ["random programs"]
    row = found["random programs"]
    assert row.program.count(";") <= 3, row.program  # shrunk to a couple of statements
    assert re.search(r"\.(tanh|exp|sigmoid|relu|log)\(\)", row.program)
    assert run("no_chain_rule", examples=100).rows == report.rows  # seeded: the same search, the same program


def test_random_programs_shrink_the_overwritten_gradient_to_a_plus_a():
    row = failing(run("overwrite", examples=50))["random programs"]
    assert row.program.endswith("out = a + a") and row.expected == "a.grad = 2" and row.got == "a.grad = 1"


# ---- hostile classes: one row each, never a hang --------------------------------------------------------


def test_a_class_that_hangs_is_a_timeout_row_and_its_op_is_not_run_again():
    start = time.monotonic()
    rows = by_check(run("hangs", timeout=0.5))
    assert time.monotonic() - start < 60  # a hang would stall here; normal is a few seconds
    assert (rows["a + b"].status, rows["a + b"].got) == (FAIL, "timed out after 0.5 s")
    assert rows["a + 2"].got == "not run: a + b timed out"
    assert rows["a * b"].status == OK
    assert not runner_processes()


def test_a_class_that_crashes_the_interpreter_is_a_crash_row():
    rows = by_check(run("segfault"))
    assert rows["a * b"].got == "crashed: killed by SIGSEGV (segmentation fault) in __mul__ (segfault.py, line 10)"
    assert rows["2 * a"].got == "not run: a * b crashed"
    assert rows["a + b"].status == OK  # a fresh child after the crash
    assert not runner_processes()


def test_sys_exit_and_os_exit_are_crash_rows():
    rows = by_check(run("exits"))
    assert rows["a - b"].got == "crashed: sys.exit(3) was called (exits.py, line 11, in __sub__)"
    assert rows["a / b"].got == "crashed: the process exited with code 0"
    assert rows["a + b"].status == OK


def test_a_print_flood_is_thrown_away():
    result = run_cli("audit", str(CASES / "prints.py"), "--examples", "3")
    assert result.exit_code == 0, result.stderr
    assert "spam" not in result.stdout + result.stderr and len(result.stdout) < 10_000


def test_a_class_that_eats_memory_hits_the_limit():
    rows = by_check(run("memory"))
    got = "building it ran out of memory (the limit is 4 GB) (memory.py, line 8, in __mul__)"
    assert rows["a * b"].got == got
    assert rows["a + b"].status == OK


def test_ctrl_c_ends_audit_and_its_child(tmp_path):
    process = subprocess.Popen(
        [sys.executable, "-m", "gradcli", "audit", str(CASES / "hangs.py"), "--timeout", "60"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not runner_processes() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # the child is in a case that never ends
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert (process.returncode, err.lstrip("\n")) == (130, "error: interrupted\n")  # click starts a new line after ^C
    assert not runner_processes()


# ---- files that cannot be audited: exit 2 ---------------------------------------------------------------


def test_a_syntax_error_is_shown_as_python_shows_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("broken.py").write_text("class Value:\n    def __add__(self other):\n        pass\n")
    result = run_cli("audit", "broken.py")
    python = subprocess.run([sys.executable, "broken.py"], capture_output=True, text=True)
    assert result.exit_code == 2
    assert result.stderr == f"error: broken.py is not valid Python:\n{python.stderr}"
    assert result.stderr.endswith(
        "    def __add__(self other):\n                     ^^^^^\nSyntaxError: invalid syntax\n"
    )


@pytest.mark.parametrize(
    "source,argv,message",
    [
        (None, ["nope.py"], "cannot read nope.py: no such file"),
        (None, ["1+1"], "cannot read 1+1: no such file (nor a module name)"),
        (None, ["no_such_module_xyz"], "cannot import no_such_module_xyz: ModuleNotFoundError: No module named 'no_such_module_xyz'"),
        ("x = oops\n", ["m.py"], "cannot import m.py: NameError: name 'oops' is not defined (m.py, line 1, in <module>)"),
        ("import sys\nsys.exit(4)\n", ["m.py"], "cannot import m.py: SystemExit: 4 (m.py, line 2, in <module>)"),
        ("class A:\n    pass\n", ["m.py"], "m.py: no class with data, grad and backward() (its classes: A); name one with --class"),
        ("class A:\n    pass\n", ["m.py", "--class", "B"], "m.py: no class B (its classes: A)"),
        ("x = 1\n", [str(CASES / "adds.py"), "--nn", "m.py"], "--nn m.py: no MLP class"),
        ("def f(:\n", [str(CASES / "adds.py"), "--nn", "m.py"], "--nn m.py is not valid Python:"),
        (None, ["adds.py", "--timeout", "0"], "invalid value for '--timeout': 0.0 is not a number of seconds between 0 and 3600"),
    ],
)  # fmt: skip
def test_what_cannot_be_audited_is_one_error_line(tmp_path, monkeypatch, source, argv, message):
    monkeypatch.chdir(tmp_path)
    if source is not None:
        (tmp_path / "m.py").write_text(source)
    result = run_cli("audit", *argv)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith(f"error: {message}"), result.stderr


def test_a_file_that_never_finishes_importing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(child, "IMPORT_SECONDS", 1.0)
    (tmp_path / "m.py").write_text("while True:\n    pass\n")
    result = run_cli("audit", "m.py")
    assert (result.exit_code, result.stderr) == (2, "error: importing m.py did not finish within 1 s\n")
    assert not runner_processes()


def test_several_candidates_are_told_apart_by_class(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    source = (CASES / "adds.py").read_text()
    (tmp_path / "m.py").write_text(source + "\n\n" + source.replace("Value", "Twin"))
    result = run_cli("audit", "m.py")
    several = "several classes have data, grad and backward(): Twin, Value; choose one with --class"
    assert result.stderr == f"error: m.py: {several}\n"
    assert run_cli("audit", "m.py", "--class", "Twin", "--examples", "2").exit_code == 0


# ---- where the class comes from ---------------------------------------------------------------------------


def test_a_module_name_is_imported_from_the_current_folder(monkeypatch):
    monkeypatch.chdir(CASES)
    result = run_cli("audit", "tanh_x", "--format", "json", "--examples", "0")
    assert result.exit_code == 1
    assert [row["check"] for row in json.loads(result.stdout)["rows"] if row["status"] == "FAIL"] == ["a.tanh()"]


def test_standard_input(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    result = run_cli("audit", "-", "--examples", "2", input=(CASES / "adds.py").read_text())
    assert result.exit_code == 0
    assert result.stdout.startswith("-: class Value\n")
    assert list(tmp_path.iterdir()) == []


# ---- the report card and the record ----------------------------------------------------------------------

CARD = """\
tanh_x.py: class Value

check                               result
──────────────────────────────────────────────────────────────────
a + b                               ok
a + 2                               ok
2 + a                               ok
a - b                               ok
a - 2                               ok
2 - a                               ok
a * b                               ok
a * 2                               ok
2 * a                               ok
a / b                               ok
a / 2                               ok
2 / a                               ok
-a                                  ok
a ** 2                              ok
a ** b                              ok
2 ** a                              ok
a.tanh()                            FAIL
a.sigmoid()                         ok
a.relu()                            ok
a.exp()                             ok
a.log()                             ok
a.sqrt()                            not supported: no sqrt()
a.abs()                             not supported: no abs()
a.sin()                             not supported: no sin()
a.cos()                             not supported: no cos()
a.tan()                             not supported: no tan()
fan-out: a + a                      ok
fan-out: a * a                      ok
diamond: b = a*a; out = b + a       ok
diamond: x = a*b; out = x*(x + a)   ok
chain of 1,000 steps                ok
chain of 10,000 steps               ok
backward() twice                    ok
zero_grad()                         ok
random programs                     ok: 10 programs agree (seed 0)

FAIL a.tanh()
  program    a = Value(0.5); out = a.tanh()
  expected   a.grad = 0.786447732966
  got        a.grad = 0.75
  diagnosis  1 - x**2 used instead of 1 - out**2: the derivative of tanh(x) is 1 - tanh(x)**2, with
             out = tanh(x)

note: backward() twice: backward() twice compounds, as micrograd's does: every value keeps its grad from the first call and passes it on again (a.grad goes 6 -> 24; PyTorch accumulates to 12); zero the grads, or build the graph anew, before each backward()

1 of 30 checks fail (5 not supported)
"""


def test_the_report_card(monkeypatch):
    monkeypatch.chdir(CASES)
    result = run_cli("audit", "tanh_x.py", "--examples", "10")
    assert result.exit_code == 1 and result.stderr == ""
    assert [line.rstrip() for line in result.stdout.splitlines()] == CARD.splitlines()


def test_the_json_record(monkeypatch):
    monkeypatch.chdir(CASES)
    result = run_cli("audit", "tanh_x.py", "--format", "json", "--examples", "10")
    assert result.exit_code == 1
    record = json.loads(result.stdout)
    assert list(record) == ["file", "class", "ok", "supported", "rows"]
    assert (record["file"], record["class"], record["ok"]) == ("tanh_x.py", "Value", False)
    assert record["supported"][-5:] == ["a.tanh()", "a.sigmoid()", "a.relu()", "a.exp()", "a.log()"]
    assert {row["status"] for row in record["rows"]} == {"ok", "FAIL", "not supported"}
    tanh = next(row for row in record["rows"] if row["check"] == "a.tanh()")
    assert tanh == {
        "check": "a.tanh()", "status": "FAIL", "program": "a = Value(0.5); out = a.tanh()",
        "expected": "a.grad = 0.786447732966", "got": "a.grad = 0.75",
        "diagnosis": "1 - x**2 used instead of 1 - out**2: the derivative of tanh(x) is 1 - tanh(x)**2, with out = tanh(x)",
    }  # fmt: skip


def test_help_has_examples():
    result = run_cli("audit", "--help")
    assert result.exit_code == 0
    assert "Examples:\n    gradcli audit my_micrograd.py\n" in result.stdout


# ---- the cases themselves ----------------------------------------------------------------------------------


ALL_FORMS = [check.form for check in operator_checks()]


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.data())
def test_a_programs_text_means_what_its_nodes_build(data):
    """The gradcli text that the oracle parses (precedence, parentheses, statements) and the nodes
    that the child builds are the same program: the same value and leaf gradients."""
    program = data.draw(programs(ALL_FORMS))
    expected = fair(program)
    if expected is None:
        return
    made = build(program.nodes, Value)  # as the child builds the learner's class
    made[-1].backward()
    assert made[-1].data == pytest.approx(expected.value, rel=1e-9)
    assert [made[i].grad for i, _ in program.leaves()] == pytest.approx(expected.grads, rel=1e-9, abs=1e-12)


def test_programs_are_written_with_the_parentheses_they_need():
    p = Program()
    a, b = p.leaf(2.0), p.leaf(-3.0)
    s = p.op("sub", a, p.op("sub", b, a))  # a - (b - a)
    t = p.op("pow", p.op("neg", a), p.num(-1))  # (-a) ** -1
    p.op("tanh", p.op("mul", p.op("add", s, t), p.op("pow", p.num(-2), b)))
    assert p.python("V") == "a = V(2.0); b = V(-3.0); out = ((a - (b - a) + (-a) ** -1) * (-2) ** b).tanh()"
    assert p.text() == "out = tanh((a - (b - a) + (-a) ** -1) * (-2) ** b)"


def test_the_suite_leaves_no_child_running():
    assert not runner_processes()
    assert os.path.exists(child.RUNNER)
