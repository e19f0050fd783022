"""`check --against torch`: the same graph built in PyTorch (float64), differentiated by its autograd.

torch is optional and imported only here, only when asked for.
"""

from __future__ import annotations

import functools

from .errors import GradcliError
from .ops import OPS
from .program import Run

#: gradcli op -> the torch function that computes it (autograd supplies the derivative), from the op table.
TORCH = {name: op.torch or name for name, op in OPS.items()}

INSTALL = "--against torch needs PyTorch, which is not installed; install it with: pip install torch"


def import_torch():
    try:
        import torch
    except ImportError:
        raise GradcliError(INSTALL) from None
    return torch


def torch_gradients(run: Run) -> dict[str, float]:
    """d output / d variable for every variable, as PyTorch's autograd computes it in float64."""
    torch = import_torch()
    functions = {
        op: getattr(torch, f) if isinstance(f, str) else functools.partial(f, torch) for op, f in TORCH.items()
    }
    graph = run.graph
    tensors = []
    for node in graph.nodes:
        if node.op == "var":
            tensor = torch.tensor(run.bindings[node.name], dtype=torch.float64, requires_grad=True)
        elif node.op == "const":
            tensor = torch.tensor(node.value, dtype=torch.float64)
        else:
            tensor = functions[node.op](*(tensors[a] for a in node.args))
        tensors.append(tensor)
    out = tensors[run.output]
    if out.requires_grad:
        out.backward()
    grads = {}
    for name, i in graph.variables.items():
        grad = tensors[i].grad
        grads[name] = 0.0 if grad is None else grad.item()
    return grads
