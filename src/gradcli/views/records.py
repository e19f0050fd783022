"""Plain dicts for `--format json` (floats at full precision; json's repr round-trips)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..program import Run

if TYPE_CHECKING:
    from ..descent import Descent


def eval_record(run: Run) -> dict:
    graph, labels = run.graph, run.graph.labels()
    listed = run.listed()
    named = [i for i in listed if graph.nodes[i].name is not None and labels[i] == graph.nodes[i].name]
    return {
        "output": graph.nodes[run.output].name,
        "value": run.values[run.output],
        "values": {labels[i]: run.values[i] for i in named},
        "grads": {labels[i]: run.grad(i) for i in named},
        "variables": list(graph.variables),
        "nodes": [
            {
                "id": i, "name": node.name, "op": node.op, "inputs": list(node.args),
                "value": run.values[i], "grad": run.grad(i),
            }
            for i, node in enumerate(graph.nodes)
        ],
    }  # fmt: skip


def step_record(d: Descent) -> dict:
    """The JSON record of SPEC section 3: floats at full precision."""
    variables, start = d.graph.variables, d.start
    return {
        "output": d.graph.nodes[d.output].name,
        "lr": d.lr,
        "steps": d.steps,
        "before": {"value": d.history[0], "values": {n: start.values[i] for n, i in variables.items()}},
        "grads": {n: start.grads[i] for n, i in variables.items()},
        "after": {"value": d.history[-1], "values": {n: d.values[i] for n, i in variables.items()}},
        "history": d.history,
    }
