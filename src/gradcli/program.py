"""What every command shares: read the program, bind its variables, evaluate and differentiate."""

from __future__ import annotations

import math
import re
import sys
from dataclasses import dataclass
from functools import cached_property

from .autodiff import Note, compiled, evaluate, gradient_notes, gradients, undefined_error
from .errors import InputError, UnboundVariable, UnknownVariable, listing, shorten
from .fmt import infinite
from .graph import Graph
from .parser import parse
from .suggest import did_you_mean

#: The most bytes read from a file or standard input: bounds memory on endless input (`yes | gradcli eval -`).
MAX_SOURCE_BYTES = 16 * 2**20
_CHUNK = 2**20


def read_source(expr: str | None, file: str | None, kind: str = "program text") -> str:
    """The program text from the EXPR argument, from `-f FILE`, or from stdin (`-`)."""
    if expr is not None and file is not None:
        raise InputError("give the program either as EXPR or with -f FILE, not both")
    if file is None and expr != "-":
        if expr is None:
            raise InputError("no program: give EXPR, -f FILE, or - to read standard input")
        return expr
    if file == "":
        raise InputError("-f needs a file name (or - for standard input)")
    if file in (None, "-"):
        label = "standard input"
        if sys.stdin is None:
            raise InputError("cannot read standard input: it is closed")
        data = _read_bytes(sys.stdin.buffer, label, kind)
    else:
        label = file
        try:
            with open(file, "rb") as stream:
                data = _read_bytes(stream, label, kind)
        except IsADirectoryError:
            raise InputError(f"cannot read {file}: it is a folder") from None
        except FileNotFoundError:
            raise InputError(f"cannot read {file}: no such file") from None
        except OSError as exc:
            raise InputError(f"cannot read {file}: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"cannot read {label}: it is not UTF-8 text (byte {exc.start})") from None


def _read_bytes(stream, label: str, kind: str) -> bytes:
    """Read in chunks, stopping at the first NUL byte (a binary file) or past MAX_SOURCE_BYTES."""
    chunks, size = [], 0
    while chunk := stream.read(_CHUNK):
        if b"\0" in chunk:
            raise InputError(f"cannot read {label}: it is a binary file, not {kind}")
        size += len(chunk)
        if size > MAX_SOURCE_BYTES:
            raise InputError(
                f"cannot read {label}: it is larger than {MAX_SOURCE_BYTES // 2**20} MB, the most gradcli reads"
            )
        chunks.append(chunk)
    return b"".join(chunks)


#: A number as the language writes it, with a sign, in ASCII digits (float() also takes `1_0` and `٣`);
#: inf and nan are read so as to say that they are not finite.
_NUMBER = re.compile(r"[ \t]*[+-]?(?:(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|(?i:inf|infinity|nan))[ \t]*")


def parse_number(text: str, what: str) -> float:
    """A finite float from the command line, or an InputError naming `what`."""
    if not _NUMBER.fullmatch(text):
        raise InputError(f"{what}: {shorten(text)!r} is not a number")
    value = float(text)
    if not math.isfinite(value):
        raise InputError(f"{what}: {shorten(text)!r} is not a finite number")
    return value


def bind(graph: Graph, given: dict[str, str], require: bool = True) -> dict[str, float]:
    """The program's defaults overridden by `given` (name -> text); checks every name."""
    for name in given:
        if name not in graph.variables:
            raise UnknownVariable(name, list(graph.variables), name in graph.named)
    values = graph.defaults() | {n: parse_number(v, f"--{n}") for n, v in given.items()}
    missing = [n for n in graph.variables if n not in values]
    if missing and require:
        raise UnboundVariable(missing)
    return values


def output_node(graph: Graph, of: str | None, option: str = "--of") -> int:
    """The node to differentiate: `--of NAME`, or the program's output. `option` names the flag in errors.

    NAME is any name the views show: a variable, a named node, an earlier assignment `c#1`, or an
    unnamed intermediate `t1` (or `out`).
    """
    if of is None:
        return graph.output
    index = graph.named.get(of, graph.variables.get(of))
    if index is None:
        shown = (i for i, label in enumerate(graph.labels()) if label == of and graph.nodes[i].op != "const")
        index = next(shown, None)
    if index is None:
        names = list(graph.variables) + [n for n in graph.named if n not in graph.variables]
        hint, of = did_you_mean(of, names), shorten(of)
        raise InputError(f"{option} {of}: no node is named {of}{hint} (named nodes: {listing(names)})")
    return index


@dataclass
class Run:
    """A program evaluated at its bindings and differentiated with respect to `output`.

    A gradient that is infinite or undefined at the point is inf or nan in `grads`, and `notes`
    says where it starts; with `strict`, `of` raises the error instead.
    """

    graph: Graph
    bindings: dict[str, float]
    output: int
    values: list[float]
    grads: list[float]

    @classmethod
    def of(cls, graph: Graph, bindings: dict[str, float], output: int, strict: bool = False) -> Run:
        values = evaluate(graph, bindings)
        run = cls(graph, bindings, output, values, gradients(graph, values, output))
        if strict and run.notes:
            raise undefined_error(graph, values, run.notes[0])
        return run

    @cached_property
    def notes(self) -> list[Note]:
        """Where gradients become infinite or undefined, in node order (empty when every one is finite)."""
        return gradient_notes(self.graph, self.values, self.grads, self.output)

    def undefined_note(self) -> str:
        """`dy/dp is undefined: the derivative of x**p ... in p is x**p*log(x), undefined at x = -2, p = 2`,
        for the first gradient that is infinite or undefined ("" when all are finite)."""
        if not self.notes:
            return ""
        labels = self.graph.labels()
        note, more = self.notes[0], len(self.notes) - 1
        text = f"d{labels[self.output]}/d{labels[note.node]} is {infinite(self.grads[note.node])}: {note.reason}"
        if more:
            text += f" (and {more:,} more)"
        return text

    @property
    def depends(self) -> list[bool]:
        """For each node: is it computed from a variable (so that it has a gradient)?"""
        return compiled(self.graph).depends

    @cached_property
    def feeds(self) -> bytearray:
        """1 for the output and every node it is computed from."""
        nodes = self.graph.nodes
        feeds = bytearray(len(nodes))
        feeds[self.output] = 1
        for i in range(self.output, -1, -1):
            if feeds[i]:
                for a in nodes[i].args:
                    feeds[a] = 1
        return feeds

    def listed(self, unnamed: bool = False) -> list[int]:
        """Nodes a table shows: variables, then named intermediates (then unnamed ones), then the output."""
        graph = self.graph
        rest = [
            i
            for i, node in enumerate(graph.nodes)
            if node.op != "var" and i != self.output and node.op != "const" and (unnamed or node.name is not None)
        ]
        head = [i for i in graph.variables.values() if i != self.output]
        return head + rest + [self.output]

    def grad(self, i: int) -> float | None:
        """d output / d node i (inf or nan where undefined), or None where node i depends on no variable or
        does not feed the output."""
        return self.grads[i] if self.depends[i] and self.feeds[i] else None


def load(expr: str | None, file: str | None, given: dict[str, str], require: bool = True) -> tuple[Graph, dict]:
    """Read, parse and bind in one step."""
    graph = parse(read_source(expr, file))
    return graph, bind(graph, given, require)
