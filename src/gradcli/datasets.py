"""The data `gradcli train` learns from: 2-D points and labels -1 or 1, generated (moons, circles) or read from CSV."""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import InputError
from .source import cell_number, read_source
from .suggest import did_you_mean

NOISE = 0.1
DATASETS = ("moons", "circles")


@dataclass
class Data:
    """Points (x1, x2) and labels -1 or 1."""

    x1: np.ndarray
    x2: np.ndarray
    y: np.ndarray
    name: str

    def __len__(self) -> int:
        return len(self.y)


def moons(n: int, seed: int, noise: float = NOISE) -> Data:
    """Two interleaving half circles (the shape of scikit-learn's make_moons), shuffled, with noise."""
    outer, inner = n // 2, n - n // 2
    t_out, t_in = np.linspace(0, np.pi, outer), np.linspace(0, np.pi, inner)
    x1 = np.concatenate([np.cos(t_out), 1 - np.cos(t_in)])
    x2 = np.concatenate([np.sin(t_out), 0.5 - np.sin(t_in)])
    return _shuffled(x1, x2, np.repeat([-1.0, 1.0], [outer, inner]), seed, noise, "moons")


def circles(n: int, seed: int, noise: float = NOISE, factor: float = 0.5) -> Data:
    """A circle around a smaller one (the shape of scikit-learn's make_circles), shuffled, with noise."""
    outer, inner = n // 2, n - n // 2
    t_out = np.linspace(0, 2 * np.pi, outer, endpoint=False)
    t_in = np.linspace(0, 2 * np.pi, inner, endpoint=False)
    x1 = np.concatenate([np.cos(t_out), factor * np.cos(t_in)])
    x2 = np.concatenate([np.sin(t_out), factor * np.sin(t_in)])
    return _shuffled(x1, x2, np.repeat([-1.0, 1.0], [outer, inner]), seed, noise, "circles")


def _shuffled(x1, x2, y, seed: int, noise: float, name: str) -> Data:
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(y))
    jitter = rng.normal(scale=noise, size=(2, len(y)))
    return Data(x1[order] + jitter[0], x2[order] + jitter[1], y[order], name)


def read_csv(path: str, columns: list[str] | None = None) -> Data:
    """Two input columns and a label column (labels -1/1 or 0/1, 0 read as -1); `-` is stdin.

    An optional header row may name the columns anything. Without `columns` the file has three
    columns: the two inputs, then the label. `columns` picks the two inputs and the label, by
    header name or by position (1, 2, ...), from a file with any number of columns.
    """
    where = "standard input" if path == "-" else path
    text = io.StringIO(read_source(None, path, kind="CSV text"), newline=None)  # \r, \r\n or \n ends a line
    reader = csv.reader(text, strict=True)
    points, labels = [], []
    first_of = {}  # label convention ("-1" or "0") -> the line that first used it
    layout = None  # (cells per row, what the rows hold, the picked columns' indexes and names)
    try:
        for row in reader:
            cells = [cell.strip() for cell in row]
            if not any(cells):
                continue
            line = f"{where}, line {reader.line_num}"
            if layout is None:
                header = not _any_number(cells)
                layout = _layout(cells if header else None, len(cells), columns, where, line)
                if header:
                    continue
            width, held, picks = layout
            if len(cells) != width:
                raise InputError(f"{line}: expected {width} values{held}, got {len(cells)}")
            (i1, name1), (i2, name2), (il, _) = picks
            points.append([_coordinate(cells[i1], name1, line), _coordinate(cells[i2], name2, line)])
            labels.append(_label(cells[il], line, first_of, reader.line_num))
    except csv.Error as exc:
        raise InputError(f"{where}, line {reader.line_num}: not valid CSV: {exc}") from None
    if not points:
        raise InputError(
            f"{where}: no data rows" + (" after the header" if layout else " (expected columns x1, x2, label)")
        )
    if len(set(labels)) < 2:
        raise InputError(f"{where}: every row has label {_shown(labels[0], first_of)}; training needs both classes")
    x = np.array(points)
    return Data(x[:, 0].copy(), x[:, 1].copy(), np.array(labels), Path(path).name if path != "-" else "stdin")


def _layout(names: list[str] | None, width: int, columns: list[str] | None, where: str, line: str) -> tuple:
    """(cells per row, what the rows hold as shown in messages, [(index, name)] of the inputs and the label)."""
    if columns is None:
        if width != 3:
            what = (
                f"the header names {width} columns ({', '.join(names)})" if names else f"expected 3 values, got {width}"
            )
            pick = "; pick the two inputs and the label with --columns" if width > 3 else " (x1, x2, label)"
            raise InputError(f"{line}: {what}{pick}")
        names = names or ["x1", "x2", "label"]
        return 3, f" ({', '.join(names)})", list(enumerate(names))
    picks = [_column(c, names, width, where) for c in columns]
    if len({i for i, _ in picks}) < len(picks):
        raise InputError(f"--columns {','.join(columns)}: the two inputs and the label must be three different columns")
    return width, f" ({', '.join(names)})" if names else "", picks


def _column(wanted: str, names: list[str] | None, width: int, where: str) -> tuple[int, str]:
    """(index, name) of a column given by header name or by position from 1."""
    if wanted.isdigit():
        if not 1 <= int(wanted) <= width:
            raise InputError(f"--columns: there is no column {wanted} in {where}, which has {width} columns")
        k = int(wanted) - 1
        return k, names[k] if names else f"column {wanted}"
    if names is None:
        raise InputError(
            f"--columns: {where} has no header row to find {wanted} in; give columns by position (1,2,3) instead"
        )
    matches = [k for k, name in enumerate(names) if name == wanted] or [
        k for k, name in enumerate(names) if name.lower() == wanted.lower()
    ]
    if len(matches) != 1:
        hint = "" if matches else did_you_mean(wanted, names)
        problem = "names two columns" if matches else "is not a column"
        raise InputError(f"--columns: {wanted} {problem} of {where} (its header: {', '.join(names)}){hint}")
    return matches[0], names[matches[0]]


def _any_number(cells: list[str]) -> bool:
    return any(cell_number(c) is not None for c in cells)


def _coordinate(text: str, column: str, line: str) -> float:
    value = cell_number(text)
    if value is None:
        raise InputError(f"{line}: {column} is not a number: {text!r}")
    if not math.isfinite(value):
        raise InputError(f"{line}: {column} is not a finite number: {text!r}")
    return value


def _label(text: str, line: str, first_of: dict, number: int) -> float:
    value = cell_number(text)
    if value not in (-1.0, 0.0, 1.0):
        raise InputError(f"{line}: the label must be -1 or 1 (or 0 or 1), got {text!r}")
    if value != 1.0:
        convention, other = ("0", "-1") if value == 0.0 else ("-1", "0")
        if other in first_of:
            raise InputError(f"{line}: label {text} mixes 0/1 and -1/1 labels (line {first_of[other]} has {other})")
        first_of.setdefault(convention, number)
    return 1.0 if value == 1.0 else -1.0


def _shown(label: float, first_of: dict) -> str:
    return "1" if label == 1.0 else "0" if "0" in first_of else "-1"


def load_data(spec: str, samples: int | None, seed: int, columns: list[str] | None = None) -> Data:
    """`moons` or `circles` with `samples` points (100 by default), or a CSV file (`-` for stdin)
    with `columns` picked by `read_csv`."""
    if spec in DATASETS:
        if columns is not None:
            raise InputError("--columns is for a CSV file; moons and circles have their own")
        return (moons if spec == "moons" else circles)(100 if samples is None else samples, seed)
    if samples is not None:
        raise InputError("--samples is for moons and circles; a CSV file trains on all its rows")
    if not spec.strip():
        raise InputError("--data needs moons, circles or the name of a CSV file (- for standard input)")
    if spec != "-" and not Path(spec).exists():
        hint = did_you_mean(spec, DATASETS)
        raise InputError(f"--data {spec}: expected moons, circles or a CSV file, and there is no such file{hint}")
    return read_csv(spec, columns)
