"""PNG and PDF without Graphviz's `dot`: the WebAssembly Graphviz's SVG drawn by resvg (PNG) and
svglib (PDF), looking like what `dot` draws.

The pictures are compared by what can be measured: the image's size, how much of it is ink, and
that each colour of the picture is there (the boxes' fills, the output's amber, the dark text).
"""

from __future__ import annotations

import base64
import re
import shutil
import sys
import zlib

import pytest

from gradcli import raster
from helpers import needs_dot

PIL = pytest.importorskip("PIL.Image")

NO_DOT = {"PATH": "/nonexistent"}
SEED = ("L=(a*b+c)*f", "--a", "2", "--b", "-3", "--c", "10", "--f", "-2")
FILLS = {"variable": (0xDC, 0xE8, 0xF5), "output": (0xFB, 0xE8, 0xC4), "operation": (0xEE, 0xEE, 0xEE)}


def picture(path) -> dict:
    """What a PNG shows: its size, the share of pixels that are not white, of dark ones (text and
    lines), and which of the picture's fills it has."""
    image = PIL.open(path).convert("RGB")
    colours = {colour: n for n, colour in image.getcolors(maxcolors=1 << 24)}
    count = image.width * image.height
    ink = 1 - colours.get((255, 255, 255), 0) / count
    dark = sum(n for colour, n in colours.items() if sum(colour) < 3 * 120) / count
    fills = {name for name, colour in FILLS.items() if colours.get(colour, 0) > count // 1000}
    return {"size": image.size, "ink": ink, "dark": dark, "fills": fills}


def test_png_without_dot_is_drawn(gradcli, tmp_path):
    out = tmp_path / "seed.png"
    r = gradcli("graph", *SEED, "--out", str(out), env=NO_DOT)
    assert (r.exit_code, r.stdout, r.stderr) == (0, "", f"wrote {out}\n")
    seen = picture(out)
    width, height = seen["size"]
    assert 1800 <= width <= 2200 and 280 <= height <= 340  # 144 dpi, as dot's PNG
    assert seen["fills"] == set(FILLS)
    assert 0.2 < seen["ink"] < 0.6 and 0.01 < seen["dark"] < 0.1  # boxes, and text in them
    assert [p.name for p in tmp_path.iterdir()] == ["seed.png"]


@needs_dot
def test_png_without_dot_looks_like_dots(gradcli, tmp_path):
    ours, theirs = tmp_path / "wasm.png", tmp_path / "dot.png"
    assert gradcli("graph", *SEED, "--out", str(ours), env=NO_DOT).exit_code == 0
    assert gradcli("graph", *SEED, "--out", str(theirs)).exit_code == 0
    a, b = picture(ours), picture(theirs)
    assert a["fills"] == b["fills"] == set(FILLS)
    assert abs(a["size"][0] - b["size"][0]) <= 0.05 * b["size"][0] and abs(a["size"][1] - b["size"][1]) <= 8
    assert abs(a["ink"] - b["ink"]) < 0.1 * b["ink"]
    assert abs(a["dark"] - b["dark"]) < 0.25 * b["dark"]  # the same text, in the same font


def test_a_png_is_laid_out_for_the_font_it_is_drawn_with(monkeypatch):
    """The text fits its boxes: the layout is for DejaVu Sans, the font resvg draws with."""
    from gradcli import render
    from gradcli.parser import parse
    from gradcli.program import Run, bind
    from gradcli.views.dot import run_digraph

    monkeypatch.setattr(shutil, "which", lambda name: None)
    seen = {}
    monkeypatch.setattr(raster, "png", lambda svg, dpi: seen.setdefault("svg", svg.decode()))
    graph = parse(SEED[0])
    bindings = bind(graph, {"a": "2", "b": "-3", "c": "10", "f": "-2"})
    render.render(run_digraph(Run.of(graph, bindings, graph.output)), "png", len(graph))
    fonts = set(re.findall(r'font-family="([^"]*)"', seen["svg"]))
    assert fonts == {raster.FONT}
    assert raster._font_files(), "matplotlib's DejaVu Sans was not found"


def test_pdf_without_dot_is_a_vector_pdf_of_the_svgs_size(gradcli, tmp_path):
    pytest.importorskip("svglib")
    out = tmp_path / "seed.pdf"
    r = gradcli("graph", *SEED, "--out", str(out), env=NO_DOT)
    assert (r.exit_code, r.stdout, r.stderr) == (0, "", f"wrote {out}\n")
    pdf = out.read_bytes()
    svg = gradcli("graph", *SEED, "--format", "svg", env=NO_DOT).stdout
    width, height = re.search(r'<svg width="(\d+)pt" height="(\d+)pt"', svg).groups()
    assert pdf.startswith(b"%PDF-") and f"/MediaBox [ 0 0 {width} {height} ]".encode() in pdf
    assert b"/BaseFont /Helvetica" in pdf  # PDF's own Helvetica: the metrics Graphviz laid it out with
    text = b"".join(_streams(pdf))
    for label in (b"(data 2.0000)", b"(grad 6.0000)", b"(data -8.0000)", b"(grad 1.0000)"):
        assert label in text


def _streams(pdf: bytes):
    """The PDF's content streams, decoded (ReportLab writes them in ASCII85 over Flate)."""
    for match in re.finditer(rb"stream\r?\n(.*?)endstream", pdf, re.S):
        data = match.group(1).strip()
        if data.endswith(b"~>"):
            data = base64.a85decode(data[:-2])
        yield zlib.decompress(data)


def test_pdf_without_svglib_says_what_to_install(gradcli, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "svglib", None)
    monkeypatch.setitem(sys.modules, "svglib.svglib", None)
    out = tmp_path / "seed.pdf"
    r = gradcli("graph", *SEED, "--out", str(out), env=NO_DOT)
    assert (r.exit_code, r.stdout) == (1, "")
    assert r.stderr.startswith(
        "error: PDF without Graphviz's dot program needs svglib: pip install 'gradcli[pdf]'; or install Graphviz with"
    )
    assert list(tmp_path.iterdir()) == []
