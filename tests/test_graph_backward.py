"""`gradcli graph --backward`: the adjoint program drawn beside the forward graph."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from gradcli import render
from gradcli.adjoint import adjoint_program
from gradcli.errors import DomainError
from gradcli.parser import parse
from gradcli.program import Run
from helpers import needs_dot, run_cli
from test_graph import HEAD, NO_DOT, OP, OUT, PNG_MAGIC, UNNAMED, VAR, needs_wasm
from test_symbolic import programs

SEED = 'color="#4f8a6b" fillcolor="#e3f1e8" style="filled,bold"]'
GRAD = 'color="#4f8a6b" fillcolor="#e3f1e8" style=filled]'
PART = 'color="#8fb5a0" fontcolor="#555555"]'
BACK_OP = 'color="#8fb5a0" fillcolor="#eef6f1" fontsize=10 margin=0.02 shape=circle style=filled width=0.3]'
CONST = 'color="#9a9a9a" fillcolor="#f0f0f0" fontcolor="#555555" shape=Mrecord style=filled]'
BACK = '[color="#4f8a6b" dir=back]'
READS = '[color="#b8b8b8" constraint=false style=dashed]'

FAN_OUT = f"""{HEAD}\
	v0 [label="{{ a | data 2.0000 | grad -2.0000 }}" {VAR}
	v1 [label="{{ b | data -3.0000 | grad 2.0000 }}" {VAR}
	v2 [label="{{ t1 | data -6.0000 | grad 1.0000 }}" {UNNAMED}
	o2 [label="*" {OP}
	v0 -> o2
	v1 -> o2
	o2 -> v2
	v3 [label="{{ L | data -4.0000 | grad 1.0000 }}" {OUT}
	o3 [label="+" {OP}
	v2 -> o3
	v0 -> o3
	o3 -> v3
	g3 [label="{{ dL/dL | 1.0000 }}" {SEED}
	g2 [label="{{ dL/dt1 | 1.0000 }}" {GRAD}
	g2 -> g3 {BACK}
	g1 [label="{{ dL/db | 2.0000 }}" {GRAD}
	q9 [label="*" {BACK_OP}
	v0 -> q9 {READS}
	q9 -> g2 {BACK}
	g1 -> q9 {BACK}
	g0 [label="{{ dL/da | -2.0000 }}" {GRAD}
	a7 [label="{{ b*dL/dt1 | -3.0000 }}" {PART}
	q7 [label="*" {BACK_OP}
	v1 -> q7 {READS}
	q7 -> g2 {BACK}
	a7 -> q7 {BACK}
	q8 [label="+" {BACK_OP}
	q8 -> g3 {BACK}
	q8 -> a7 {BACK}
	g0 -> q8 {BACK}
}}
"""

SQUARE = f"""{HEAD}\
	v0 [label="{{ x }}" {VAR}
	v1 [label="{{ y }}" {OUT}
	o1 [label="*" {OP}
	v0 -> o1
	v0 -> o1
	o1 -> v1
	g1 [label="{{ dy/dy | 1 }}" {SEED}
	g0 [label="{{ dy/dx | 2*x*dy/dy }}" {GRAD}
	a5 [label="{{ 2*x }}" {PART}
	q5 [label="*" {BACK_OP}
	k0 [label="{{ 2 }}" {CONST}
	q5 -> k0 {BACK}
	v0 -> q5 {READS}
	a5 -> q5 {BACK}
	q6 [label="*" {BACK_OP}
	q6 -> a5 {BACK}
	q6 -> g1 {BACK}
	g0 -> q6 {BACK}
}}
"""


FAN = ("L = a*b + a", "--a", "2", "--b", "-3", "--backward")
NEURON = ("o=tanh(x1*w1+x2*w2+b)", "--x1", "2", "--x2", "0", "--w1", "-3", "--w2", "1", "--b", "6.8814", "--backward")


def test_fan_out_dot_is_exact(gradcli):
    """dL/da sums both paths: dL/dL through the + and b*dL/dt1 through the *; b and a are read (dashed)."""
    r = gradcli("graph", *FAN)
    assert (r.exit_code, r.stderr) == (0, "")
    assert r.stdout == FAN_OUT


def test_unbound_shows_each_adjoint_as_a_formula(gradcli):
    r = gradcli("graph", "y = x*x", "--backward")
    assert (r.exit_code, r.stderr) == (0, "")
    assert r.stdout == SQUARE


def test_the_forward_part_is_graphs_own_picture(gradcli):
    plain = gradcli("graph", *FAN[:-1]).stdout
    assert gradcli("graph", *FAN).stdout.startswith(plain[: -len("}\n")])


def test_tanh_local_derivative_is_drawn_as_its_parts(gradcli):
    r = gradcli("graph", *NEURON)
    assert r.exit_code == 0
    assert 'label="{ 1 - o**2 | 0.5000 }"' in r.stdout and 'label="{ o**2 | 0.5000 }"' in r.stdout
    assert 'label="{ do/dt4 | 0.5000 }"' in r.stdout and 'label="{ do/dx1 | -1.4999 }"' in r.stdout
    assert r.stdout.count("style=dashed") == 5  # o for tanh', and w1, x1, w2, x2 for the products


def test_of_draws_the_adjoints_of_that_node(gradcli):
    r = gradcli(
        "graph", "e=a*b; d=e+c; L=d*f", "--a", "2", "--b", "-3", "--c", "10", "--f", "-2", "--of", "d", "--backward"
    )
    assert r.exit_code == 0
    assert 'g4 [label="{ dd/dd | 1.0000 }"' in r.stdout
    assert 'label="{ dd/da | -3.0000 }"' in r.stdout and "dd/df" not in r.stdout and "dL/" not in r.stdout


def test_a_program_without_variables_has_no_adjoints(gradcli):
    r = gradcli("graph", "y = 2*3", "--backward")
    assert r.exit_code == 0 and "g0" not in r.stdout and "dy/" not in r.stdout


def test_an_infinite_gradient_is_drawn_as_inf(gradcli):
    r = gradcli("graph", "y = sqrt(x)", "--x", "0", "--backward")
    assert r.exit_code == 0
    assert 'label="{ dy/dx | inf }"' in r.stdout
    assert r.stderr.startswith("note: dy/dx is inf")


# ---- formats, with and without dot, and the limits -------------------------------------------------


@needs_dot
@pytest.mark.parametrize("ext, magic", [("png", PNG_MAGIC), ("pdf", b"%PDF-"), ("svg", b"<?xml")])
def test_every_format_with_dot(gradcli, tmp_path, ext, magic):
    out = tmp_path / f"neuron.{ext}"
    r = gradcli("graph", *NEURON, "--out", str(out))
    assert (r.exit_code, r.stdout, r.stderr) == (0, "", f"wrote {out}\n")
    assert out.read_bytes().startswith(magic)


@needs_wasm
@pytest.mark.slow
def test_svg_without_dot(gradcli, tmp_path):
    out = tmp_path / "fan.svg"
    r = gradcli("graph", *FAN, "--out", str(out), env=NO_DOT)
    assert (r.exit_code, r.stdout, r.stderr) == (0, "", f"wrote {out}\n")
    svg = out.read_text()
    assert ">dL/da</text>" in svg and ">b*dL/dt1</text>" in svg and svg.rstrip().endswith("</svg>")


@needs_wasm
@pytest.mark.slow
def test_png_without_dot(gradcli, tmp_path):
    """Without Graphviz the picture is laid out by WebAssembly and drawn to PNG by resvg, as graph's own."""
    out = tmp_path / "fan.png"
    r = gradcli("graph", *FAN, "--out", str(out), env=NO_DOT)
    assert (r.exit_code, r.stdout, r.stderr) == (0, "", f"wrote {out}\n")
    assert out.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_dot_file_needs_no_graphviz(gradcli, tmp_path):
    out = tmp_path / "fan.dot"
    r = gradcli("graph", *FAN, "--out", str(out), env=NO_DOT)
    assert (r.exit_code, r.stderr) == (0, f"wrote {out}\n")
    assert out.read_text() == FAN_OUT


def test_the_adjoints_count_toward_the_limit(gradcli, tmp_path, monkeypatch):
    """4 values alone; with the backward pass 4 + 8: 4 adjoints, b*dL/dt1, a*dL/dt1, their sum, +'s local 1."""
    monkeypatch.setattr(render, "MAX_NODES", 11)
    out = tmp_path / "fan.svg"
    assert gradcli("graph", *FAN[:-1], "--out", str(out)).exit_code == 0
    r = gradcli("graph", *FAN, "--out", str(out))
    assert (r.exit_code, r.stdout) == (1, "")
    assert r.stderr.startswith("error: the graph has 12 values; pictures stop at 11")
    assert gradcli("graph", *FAN, "--format", "dot").stdout == FAN_OUT  # DOT text has no limit


# ---- the adjoint program against the engine ------------------------------------------------------

points = st.floats(min_value=-2.0, max_value=2.0, allow_nan=False).filter(lambda v: abs(v) > 1e-3)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(programs(), points, points, points)
def test_every_adjoint_is_the_engines_gradient(text, x, y, z):
    graph = parse(text)
    at = {n: v for n, v in {"x": x, "y": y, "z": z}.items() if n in graph.variables} | graph.defaults()
    try:
        run = Run.of(graph, at, graph.output)
    except DomainError:
        assume(False)
    adjoint = adjoint_program(graph, graph.output, run.values)
    for i in range(len(graph)):
        expected = run.grad(i)
        if expected is None:
            assert i not in adjoint.grads
        elif math.isfinite(expected):
            assert adjoint.value(i) == pytest.approx(expected, rel=1e-12, abs=1e-12), (text, i)


def test_backward_and_the_page_are_not_mixed(tmp_path):
    """The page steps through the backward pass itself: --backward with .html is one clean error, no file."""
    out = tmp_path / "walk.html"
    result = run_cli("graph", "L = a*b", "--a", "2", "--b", "3", "--backward", "--out", str(out))
    assert (result.exit_code, result.stdout) == (2, "")
    assert (
        result.stderr == "error: --backward draws a picture; the page (.html) steps through the backward pass itself\n"
    )
    assert not out.exists()
