"""PNG and PDF from the WebAssembly Graphviz's SVG, for machines without Graphviz's `dot`.

PNG: resvg (the `resvg-py` package, a Rust library with wheels for every platform and no system
libraries), a regular dependency. Graphviz sizes each box from the metrics of the font the graph
names, and resvg draws with the fonts it has; so a PNG is laid out for DejaVu Sans (`FONT`, which
Graphviz knows the metrics of, and the font `dot` itself draws Helvetica with on most Linux
machines) and drawn with the copy of DejaVu Sans that matplotlib ships, found without importing
matplotlib. The machine's own fonts are loaded too, for characters DejaVu Sans lacks.

PDF: svglib and ReportLab, an extra (`pip install 'gradcli[pdf]'`: four packages, lxml the
largest). The PDF keeps the SVG's vectors and writes its text in PDF's own Helvetica, whose
metrics are the ones Graphviz lays Helvetica out with.
"""

from __future__ import annotations

import importlib.util
import io
import os

#: The font a PNG is laid out and drawn with.
FONT = "DejaVu Sans"


class Unavailable(Exception):
    """The package that draws this format is not installed: the message says which to install."""


def png(svg: bytes, dpi: float) -> bytes:
    """The SVG drawn as a PNG at `dpi` dots per inch, on white."""
    try:
        import resvg_py
    except ImportError:
        raise Unavailable("PNG without Graphviz's dot program needs resvg-py: pip install resvg-py") from None
    fonts = _font_files()
    data = resvg_py.svg_to_bytes(
        svg_string=svg.decode(), dpi=float(dpi), background="white", font_files=fonts or None,
        sans_serif_family=FONT, font_family=FONT, text_rendering="optimize_legibility",
    )  # fmt: skip
    return bytes(data)


def pdf(svg: bytes) -> bytes:
    """The SVG as a one-page vector PDF of the same size."""
    try:
        from reportlab.graphics import renderPDF
        from svglib.svglib import svg2rlg
    except ImportError:
        raise Unavailable("PDF without Graphviz's dot program needs svglib: pip install 'gradcli[pdf]'") from None
    drawing = svg2rlg(io.BytesIO(svg))
    if drawing is None:
        raise ValueError("svglib could not read the picture's SVG")
    return renderPDF.drawToString(drawing)


def _font_files() -> list[str]:
    """matplotlib's DejaVu Sans (regular and bold), where it is installed."""
    spec = importlib.util.find_spec("matplotlib")  # finds the package without importing it
    if spec is None or not spec.submodule_search_locations:
        return []
    folder = os.path.join(spec.submodule_search_locations[0], "mpl-data", "fonts", "ttf")
    files = [os.path.join(folder, name) for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf")]
    return [f for f in files if os.path.isfile(f)]
