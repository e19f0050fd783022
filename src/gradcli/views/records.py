"""Plain dicts for `--format json` (floats at full precision; json's repr round-trips)."""

from __future__ import annotations

from ..program import Run


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
