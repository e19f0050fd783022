"""What each command's machine-readable output path loads: only the heavy modules its work needs.

Each command runs in a fresh process, its output to a pipe, and says which of the heavy modules
were imported by the end. A JSON record, DOT text or CSV never loads Rich (a table's library) nor
matplotlib, wasmtime or pandas; numpy, pyarrow and hypothesis only where the work is theirs.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = {
    "rich",
    "numpy",
    "matplotlib",
    "wasmtime",
    "pandas",
    "pyarrow",
    "torch",
    "sympy",
    "hypothesis",
    "graphviz",
    "dask",
}

PROBE = """
import json, sys
from gradcli.cli import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
with open("imported.json", "w") as out:
    json.dump({"code": code, "modules": sorted({name.partition(".")[0] for name in sys.modules})}, out)
"""

CASES = {
    "eval --format json": (["eval", "y = tanh(x)*w", "--x", "1", "--w", "2", "--format", "json"], set()),
    "step --format json": (
        ["step", "y = (x - 3)**2", "--x", "0", "--lr", "0.1", "--steps", "3", "--format", "json"],
        set(),
    ),
    "explain --format json": (["explain", "y = x*x + x", "--x", "3", "--format", "json"], set()),
    "check --format json": (["check", "y = relu(x) + x*x", "--x", "0", "--format", "json"], set()),
    "diff --format json": (["diff", "y = x**2*sin(x)", "--x", "2", "--format", "json"], set()),
    "hessian --format json": (["hessian", "y = x**3*z", "--x", "2", "--z", "1", "--format", "json"], set()),
    # the network runs over every sample at once on numpy arrays
    "train --format json": (["train", "--steps", "2", "--hidden", "2", "--format", "json"], {"numpy"}),
    # random programs are made and shrunk by hypothesis
    "audit --format json": (["audit", "adds.py", "--examples", "2", "--format", "json"], {"hypothesis"}),
    # the picture's DOT text is written by gradcli (only draw_dot hands out a graphviz.Digraph)
    "graph (DOT)": (["graph", "y = x*x", "--x", "3"], set()),
    # the samples are one vectorised pass over numpy arrays
    "plot (CSV)": (["plot", "y = tanh(x)", "--x", "-1:1", "--points", "5"], {"numpy"}),
    # the rows are read and written by pyarrow and evaluated on numpy arrays
    "eval --data (CSV)": (["eval", "y = x1*x2", "--data", "rows.csv"], {"numpy", "pyarrow"}),
}


def imported(argv: list[str], folder: Path) -> set[str]:
    """The heavy modules loaded by `gradcli ARGV` run to its end in a fresh process, output to a pipe."""
    (folder / "rows.csv").write_text("id,x1,x2\na,1,2\nb,3,4\n")
    shutil.copy(Path(__file__).parent / "audit_cases" / "adds.py", folder / "adds.py")
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE")}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *argv], cwd=folder, env=env, capture_output=True, text=True, timeout=300
    )
    report = json.loads((folder / "imported.json").read_text())
    assert report["code"] in (0, None), done.stderr
    return HEAVY & set(report["modules"])


@pytest.mark.parametrize("case", CASES)
def test_a_machine_readable_output_loads_only_what_its_work_needs(case, tmp_path):
    argv, needed = CASES[case]
    assert imported(argv, tmp_path) == needed
