"""One program over many rows: the output's value and its gradient per variable, for every row at once.

The graph is compiled once over numpy arrays (the op table's array form) and run one chunk of
rows at a time: one vectorised forward and one backward pass per chunk. A row where an op fails
(log of a negative, a negative number to a fractional power, an overflow) or whose gradient is
infinite or undefined gets NaN in those cells instead of stopping the others; the checked float
path of the engine then says why, for the rows a caller asks about.

    >>> import numpy as np
    >>> from gradcli.batch import evaluate
    >>> out = evaluate("y = x*w + b", {"x": np.array([1.0, 2.0]), "w": np.array([3.0, 4.0]), "b": np.zeros(2)})
    >>> out["y"], out["dy/dx"]
    (array([3., 8.]), array([3., 4.]))
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from .autodiff import Compiled
from .errors import DomainError, InputError, UnboundVariable
from .graph import Graph
from .ops import array_ops, kink_side
from .parser import parse
from .program import Run, output_node

#: Bytes of node arrays one chunk may hold (values and gradients): bounds memory for any program.
CHUNK_BYTES = 64 * 2**20
MAX_CHUNK = 2**16


@dataclass
class Chunk:
    """One chunk's result: the output columns, which rows failed, and every node's values."""

    columns: dict[str, np.ndarray]  # output name -> values, `d<output>/d<variable>` -> gradients
    failed: np.ndarray  # bool per row: the value or a gradient is not finite
    values: list  # every node's value (an array, or a float where it does not depend on a column)
    inputs: dict[str, np.ndarray]  # the variables' columns, as given


class Batch:
    """A program compiled for arrays, with the output chosen and the variables not in columns fixed."""

    def __init__(self, graph: Graph, output: int | None = None, fixed: Mapping[str, float] | None = None):
        self.graph = graph
        self.output = graph.output if output is None else output
        self.fixed = dict(fixed or {})
        self.program = Compiled(graph, ops=array_ops())
        self.label = graph.labels()[self.output]
        self.variables = list(graph.variables)
        self.names = [self.label] + [self.gradient_name(v) for v in self.variables]
        self.chunk_rows = max(1024, min(MAX_CHUNK, CHUNK_BYTES // (16 * max(1, len(graph)))))

    def gradient_name(self, variable: str) -> str:
        return f"d{self.label}/d{variable}"

    def missing(self, columns) -> list[str]:
        """Variables that are neither in `columns` nor fixed."""
        return [v for v in self.variables if v not in columns and v not in self.fixed]

    def run(self, columns: Mapping[str, np.ndarray]) -> Chunk:
        """Evaluate and differentiate every row of `columns` (name -> 1-D float array) in one pass."""
        missing = self.missing(columns)
        if missing:
            raise UnboundVariable(missing)
        inputs = {n: np.asarray(c, dtype=float) for n, c in columns.items() if n in self.graph.variables}
        rows = len(next(iter(inputs.values()))) if inputs else 1
        program, output = self.program, self.output
        with np.errstate(all="ignore"):
            values = program.forward(program.values(self.fixed | inputs))
            grads = program.backward(values, output, seed=np.ones(rows))
            value = _full(values[output], rows)
            columns = [value] + [_full(grads[self.graph.variables[name]], rows) for name in self.variables]
            total = value.copy()
            for grad in columns[1:]:
                total += grad
            if np.isfinite(total).all():  # the usual case, checked in one pass: NaN and inf survive a sum
                failed = np.zeros(rows, dtype=bool)
            else:
                undefined = ~np.isfinite(value)
                failed, cells = undefined.copy(), [_nan_where(value, undefined)]
                for grad in columns[1:]:
                    bad = ~np.isfinite(grad) | undefined
                    cells.append(_nan_where(grad, bad))
                    failed |= bad
                columns = cells
            out = dict(zip(self.names, columns))
        return Chunk(out, failed, values, inputs)

    def chunks(self, columns: Mapping[str, np.ndarray]):
        """`run` over slices of at most `chunk_rows` rows: memory stays bounded for any length."""
        arrays = {n: np.asarray(c, dtype=float) for n, c in columns.items() if n in self.graph.variables}
        rows = len(next(iter(arrays.values()))) if arrays else 1
        for start in range(0, rows, self.chunk_rows):
            yield start, self.run({n: c[start : start + self.chunk_rows] for n, c in arrays.items()})

    def why(self, chunk: Chunk, row: int) -> str:
        """Why row `row` of a chunk failed, from the engine's checked float path."""
        bindings = self.fixed | {n: float(c[row]) for n, c in chunk.inputs.items()}
        for name, value in bindings.items():
            if not np.isfinite(value):
                return f"{name} has no value (an empty cell or {value})"
        try:
            Run.of(self.graph, bindings, self.output, strict=True)
        except DomainError as exc:
            return str(exc)
        return "the value or a gradient is not finite"

    def kinks(self, chunk: Chunk) -> list[tuple[int, np.ndarray]]:
        """(node, edge values per row) for every kinked op on the way to the output whose edge varies by row.

        The op table's kink `side` is 0 at a kink and changes sign across it; between two neighbouring
        samples of a curve, a sign change means a kink lies between them.
        """
        nodes, values, ops = self.graph.nodes, chunk.values, self.program.ops
        found = []
        for i, *_ in self.program.backward_program(self.output):
            with np.errstate(all="ignore"):
                kink = kink_side(nodes[i].op, [values[a] for a in nodes[i].args], ops)
            if kink is not None and np.ndim(kink[0]):
                found.append((i, np.asarray(kink[0])))
        return found


def _nan_where(values: np.ndarray, bad: np.ndarray) -> np.ndarray:
    """NaN where `bad` holds (a copy only when some cell is bad: rows rarely fail)."""
    return np.where(bad, np.nan, values) if bad.any() else values


def _full(value, rows: int) -> np.ndarray:
    """A node's value as an array of `rows` (a node that depends on no column is one float)."""
    array = np.asarray(value, dtype=float)
    return array if array.shape == (rows,) else np.full(rows, float(array))


def evaluate(program: str | Graph, columns: Mapping[str, np.ndarray], of: str | None = None) -> dict[str, np.ndarray]:
    """The output's value and `d<output>/d<variable>` for every variable, row by row.

    `columns` maps variable names to 1-D arrays of one length (a number binds a variable for all
    rows; the program's defaults `a = 2` fill in the rest). The result maps the output's name
    (`out` for an unnamed output) to its values and `d<output>/d<variable>` to each gradient.
    A row where the value or a gradient is not finite (log of a negative, x**y complex, a pole)
    has NaN there; the other rows are unaffected. `of` differentiates another named node.
    """
    graph = parse(program) if isinstance(program, str) else program
    fixed = {n: float(v) for n, v in columns.items() if np.ndim(v) == 0}
    arrays = {n: v for n, v in columns.items() if np.ndim(v) != 0}
    unknown = [n for n in columns if n not in graph.variables]
    if unknown:
        raise InputError(f"{unknown[0]} is not a variable of the program (its variables: {', '.join(graph.variables)})")
    lengths = {len(v) for v in arrays.values()}
    if len(lengths) > 1:
        raise InputError(f"the columns have different lengths: {sorted(lengths)}")
    batch = Batch(graph, output_node(graph, of), graph.defaults() | fixed)
    rows = lengths.pop() if lengths else 1
    out = {name: np.empty(rows) for name in batch.names}
    for start, chunk in batch.chunks(arrays):
        for name, values in chunk.columns.items():
            out[name][start : start + len(values)] = values
    return out
