"""Every command's `--format json` record (docs/json.md): plain dicts, or JSON text made in pieces.

Floats are kept at full precision (json's repr round-trips). This module imports no Rich, numpy or
matplotlib, so a JSON path starts as fast as it can."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import asdict
from itertools import chain, repeat
from operator import attrgetter
from typing import TYPE_CHECKING

from ..fmt import finite
from ..jsonnumbers import joined, texts
from ..program import Run
from .explain import forward_line, gradient_lines, pick, plain

if TYPE_CHECKING:
    from ..audit import Report
    from ..datasets import Data
    from ..derivation import Derivation
    from ..descent import Descent
    from ..formulas import Derivative
    from ..gradcheck import Row
    from ..hessian import Hessian
    from ..training import History, Network


def eval_record(run: Run) -> dict:
    """The JSON record of `eval` (docs/json.md) as a dict (for Python callers; the CLI streams `eval_json`)."""
    return _eval_head(run) | {
        "nodes": [
            {
                "id": i, "name": node.name, "op": node.op, "inputs": list(node.args),
                "value": run.values[i], "grad": finite(run.grad(i)),
            }
            for i, node in enumerate(run.graph.nodes)
        ],
    }  # fmt: skip


def eval_json(run: Run, chunk: int = 10_000) -> Iterator[str]:
    """The same record as JSON text, in pieces: no dict per node, so a million nodes stay cheap.

    Floats are written as json writes them (`jsonnumbers`); names are identifiers or null. Each
    piece is made by C-level loops (`map` over the nodes' fields, interleaved with the fixed text
    between them and joined), with no Python call per node.
    """
    head = json.dumps(_eval_head(run), allow_nan=False)
    yield head[:-1] + ', "nodes": ['
    nodes, values, grads = run.graph.nodes, run.values, run.grads
    depends, feeds = run.graph.compiled.depends, run.feeds
    for start in range(0, len(nodes), chunk):
        stop = min(start + chunk, len(nodes))
        part = nodes[start:stop]
        names = list(map(_NAME_OF, part))
        shown = {name: _name(name) for name in set(names)}
        shown_grads = [
            g if d and f else None for g, d, f in zip(grads[start:stop], depends[start:stop], feeds[start:stop])
        ]
        fields = (
            map(str, range(start, stop)), map(shown.__getitem__, names), map(_OP_OF, part),
            map(repr, map(list, map(_ARGS_OF, part))), texts(values[start:stop]), texts(shown_grads),
        )  # fmt: skip
        pieces = chain.from_iterable(zip(*(item for pair in zip(_NODE, fields) for item in pair), repeat(_END)))
        text = "".join(pieces)  # each node ends in "}, ": the last one's comma is cut
        yield text if stop < len(nodes) else text[:-2]
    yield "]}\n"


#: The text before each field of a node, and after the last: every piece repeated once per node.
_NODE = [repeat(text) for text in ('{"id": ', ', "name": ', ', "op": "', '", "inputs": ', ', "value": ', ', "grad": ')]
_END = "}, "
_NAME_OF, _OP_OF, _ARGS_OF = attrgetter("name"), attrgetter("op"), attrgetter("args")


def _name(name: str | None) -> str:
    return "null" if name is None else f'"{name}"'


def _number(value: float | None) -> str:
    """A float as json writes it; null where there is none, or it is infinite or undefined (a gradient)."""
    return "null" if value is None or not math.isfinite(value) else repr(float(value))


def _eval_head(run: Run) -> dict:
    """The record's summary: the values and grads of the variables and of each name's latest
    assignment (the nodes whose label is their name), in the order tables list them."""
    graph, nodes, output = run.graph, run.graph.nodes, run.output
    latest = set({**graph.variables, **graph.named}.values())
    head = [i for i in graph.variables.values() if i != output]
    rest = sorted(i for i in graph.named.values() if i != output and nodes[i].op not in ("var", "const"))
    named = [i for i in [*head, *rest, output] if i in latest]  # as run.listed() orders them
    head = {
        "output": nodes[output].name,
        "value": run.values[output],
        "values": {nodes[i].name: run.values[i] for i in named},
        "grads": {nodes[i].name: finite(run.grad(i)) for i in named},
        "variables": list(graph.variables),
    }
    return head | ({"notes": notes_record(run)} if run.notes else {})


def notes_record(run: Run) -> list[dict]:
    """Each gradient that is infinite or undefined where it starts: the node, the op and why."""
    labels = run.graph.labels()
    return [{"node": labels[n.node], "op": run.graph.symbol(n.via), "reason": n.reason} for n in run.notes]


def step_json(d: Descent, chunk: int = 10_000) -> Iterator[str]:
    """The JSON record of a descent, in pieces: its history (every step's output) is written from the
    compact array it is kept in, never as a list of a million floats."""
    variables, start = d.graph.variables, d.start
    head = {
        "output": d.graph.nodes[d.output].name,
        "lr": d.lr,
        "steps": d.steps,
        "before": {"value": d.history[0], "values": {n: start.values[i] for n, i in variables.items()}},
        "grads": {n: finite(start.grads[i]) for n, i in variables.items()},
        "after": {"value": d.history[-1], "values": {n: d.values[i] for n, i in variables.items()}},
    }
    if d.method != "gd":
        head = {"output": head.pop("output"), "method": d.method} | head
    yield json.dumps(head, allow_nan=False)[:-1] + ', "history": ['
    history = d.history.all
    for first in range(0, len(history), chunk):
        yield (", " if first else "") + joined(history[first : first + chunk].tolist())
    yield "]" + (f', "notes": {json.dumps(notes_record(start))}' if start.notes else "") + "}\n"


def diff_record(derivative: Derivative, values: dict[str, float] | None = None) -> dict:
    """The JSON record (docs/json.md): formulas and values keyed by variable (`x`), or by `x,z` past order 1."""
    texts = derivative.texts()

    def key(wrt: tuple[str, ...]) -> str:
        return ",".join(wrt)

    return {
        "output": derivative.label,
        "wrt": derivative.wrt,
        "order": derivative.order,
        "derivatives": {key(f.wrt): texts[f.name] for f in derivative.formulas},
        "program": derivative.program(),
        "values": None if values is None else {key(f.wrt): finite(values[f.name]) for f in derivative.formulas},
    }


def hessian_record(h: Hessian) -> dict:
    """The JSON record (docs/json.md); a number that is not finite is null."""
    run = h.run
    return {
        "output": run.graph.labels()[run.output],
        "value": run.values[run.output],
        "variables": h.names,
        "gradient": {name: finite(run.grads[i]) for name, i in zip(h.names, h.variables)},
        "hessian": [[finite(v) for v in row] for row in h.matrix],
    }


def check_record(rows: list[Row], against: str, output: str, method: str) -> dict:
    """The JSON record of `check`: the verdict, how it was judged, one row per variable (or direction)."""
    return {
        "ok": all(row.status != "FAIL" for row in rows),
        "against": against,
        "output": output,
        "method": method,
        "rows": [
            asdict(row) | {"analytic": finite(row.analytic), "numeric": finite(row.numeric), "note": row.note or None}
            for row in rows
        ],
    }


def train_record(data: Data, network: Network, history: History, lr: float, seed: int) -> dict:
    """The JSON record of `train`: the settings, loss and accuracy per step (before its update), the end."""
    return {
        "data": data.name,
        "samples": len(data),
        "hidden": network.sizes[1:-1],
        "parameters": len(network.params),
        "lr": lr,
        "seed": seed,
        "steps": len(history.loss),
        "loss": history.loss,
        "accuracy": history.accuracy,
        "final_loss": history.final_loss,
        "final_accuracy": history.final_accuracy,
    }


def audit_record(report: Report) -> dict:
    """The JSON record of `audit`: the file, the class, the verdict, one row per check."""
    return {
        "file": report.file,
        "class": report.cls,
        "ok": report.ok,
        "supported": report.supported,
        "rows": [asdict(row) for row in report.rows],
    }


def explain_json(d: Derivation, limit: int = 0, notes: list | None = None) -> Iterator[str]:
    """The derivation as JSON, in pieces: every step's parts, its values at full precision and its text.

    Each pass lists its first and last entries up to `limit` (0: all); `left_out` counts the
    entries in between. One entry is built at a time, so memory stays small at any size.
    """
    labels = d.labels
    head = {"output": labels[d.output], "wrt": None if d.wrt is None else labels[d.wrt]}
    yield json.dumps(head)[:-1]
    left_out = {}
    for key, items, entry in (("forward", d.forward, _forward_entry), ("backward", d.order, _gradient_entry)):
        first, last, left_out[key] = pick([1] * len(items), limit)
        yield f', "{key}": ['
        for n, (k, _, _) in enumerate(first + last):
            yield (", " if n else "") + json.dumps(entry(d, items[k]), allow_nan=False)
        yield "]"
    tail = {"unreached": [labels[v] for v in d.unreached], "left_out": left_out}
    if notes:
        tail["notes"] = notes
    yield ", " + json.dumps(tail)[1:] + "\n"


def _forward_entry(d: Derivation, i: int) -> dict:
    f = d.line(i)
    return {
        "node": d.labels[i], "source": f.source, "expr": f.expr, "numbers": f.numbers, "value": f.value,
        "text": plain(forward_line(d, i)),
    }  # fmt: skip


def _gradient_entry(d: Derivation, i: int) -> dict:
    g = d.gradient(i)
    return {
        "node": d.labels[i], "grad": finite(g.value),
        "terms": [
            {"via": d.labels[t.via], "upstream": finite(t.upstream), "local": t.local, "numbers": t.numbers,
             "local_value": finite(t.local_value), "value": finite(t.value), "note": t.note or None}
            for t in g.terms
        ],
        "lines": [plain(line) for line in gradient_lines(d, i)],
    }  # fmt: skip
