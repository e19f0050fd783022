"""The child side of `gradcli audit`: imports the learner's file and runs the cases it is sent.

This is the one place where gradcli runs code that is not its own: the learner's file, imported
as `import` would import it (its top-level code runs), which is what `audit` is for. It runs as a
script in a child process started by `gradcli.audit.child`, under limits on memory and CPU time,
with its printed output thrown away, and talks to gradcli through two pipes, one JSON object a
line each way. It imports nothing from gradcli, and gradcli reads nothing from it but JSON.

A case is a program as a flat list of nodes in topological order, built by applying the class's
operators and methods to its instances, never from text:

    ["leaf", value]         an instance of the class, cls(value)
    ["num", value]          a plain Python number, used as an operand
    [op, i] or [op, i, j]   add sub mul div pow neg on earlier nodes, or a method name (tanh, exp...)

After building, the case's actions run in turn ("backward", "zero_grad"); after each, the grad of
every leaf and of the output is read.
"""

import importlib
import importlib.util
import io
import json
import operator
import os
import resource
import sys
import threading
import traceback

BINARY = {"add": operator.add, "sub": operator.sub, "mul": operator.mul, "div": operator.truediv, "pow": operator.pow}
MESSAGE_MAX = 400  # characters of an exception's message sent back
DEEP_RECURSION_LIMIT = 1_000_000  # for a case run "deep": room for a recursive backward() at any depth
DEEP_STACK = 512 * 2**20  # the stack of the thread that runs such a case


class Sink(io.TextIOBase):
    """Standard output and error while the learner's code runs: counted, thrown away."""

    def __init__(self):
        self.written = 0

    def writable(self):
        return True

    def write(self, text):
        self.written += len(text)
        return len(text)


class Failure(Exception):
    """A step of a case failed in a way that is not an exception of the learner's code."""


class State:
    """What the loaded file provides, and the step a case is at (for the failure it may raise)."""

    cls = None
    mlp = None
    here = __file__
    phase = ""


def main():
    requests = os.fdopen(int(sys.argv[1]), "r", encoding="utf-8")
    responses = os.fdopen(int(sys.argv[2]), "w", encoding="utf-8")
    sys.stdout = sys.stderr = Sink()
    sys.stdin = io.StringIO("")
    handlers = {"load": load, "case": case, "mlp": mlp}
    for line in requests:
        request = json.loads(line)
        State.phase = request["kind"]
        try:
            response = handlers[request["kind"]](request)
        except BaseException as exc:  # the learner's code failed: sys.exit and Ctrl-C raised in it too
            response = failure(exc)
        try:
            text = json.dumps(response)
        except (TypeError, ValueError):  # a number too large for a float, say
            text = json.dumps({"ok": False, "phase": "read", "error": "ValueError", "message": "not a number"})
        responses.write(text + "\n")
        responses.flush()


def failure(exc):
    """An exception as JSON: its type, message, the phase it happened in, the learner's innermost frame."""
    try:
        message = str(exc)[:MESSAGE_MAX]
    except BaseException:
        message = ""
    if isinstance(exc, SystemExit):
        message = repr(exc.code)[:MESSAGE_MAX]
    where, frame = "", exc.__traceback__
    while frame is not None:  # the innermost frame outside this file
        code = frame.tb_frame.f_code
        if code.co_filename != State.here:
            where = f"{os.path.basename(code.co_filename)}, line {frame.tb_lineno}, in {code.co_name}"
        frame = frame.tb_next
    return {"ok": False, "phase": State.phase, "error": type(exc).__name__, "message": message, "where": where}


# ---- loading ------------------------------------------------------------------------------------


def load(request):
    """Set the limits, import the file (and the nn module), find the class."""
    memory, cpu = request["memory"], request["cpu"]
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    module = imported(request["target"], request["is_path"], request["folder"], "")
    if isinstance(module, dict):
        return module
    found = find_class(module, request["class"])
    if isinstance(found, dict):
        return found
    State.cls = found
    if request["nn"] is not None:
        nn = imported(request["nn"], request["nn_is_path"], request["nn_folder"], "nn ")
        if isinstance(nn, dict):
            return nn
        if not isinstance(getattr(nn, "MLP", None), type):
            return {"ok": False, "error": "nn", "message": "no MLP class"}
        State.mlp = nn.MLP
    attributes = sorted(name for name in dir(found) if callable(getattr(found, name, None)))
    return {"ok": True, "class": found.__name__, "attributes": attributes, "recursion_limit": sys.getrecursionlimit()}


def imported(target, is_path, folder, which):
    """The module, or the failure to import it as JSON (a syntax error as Python shows it)."""
    try:
        return import_target(target, is_path, folder)
    except SyntaxError as exc:
        return {"ok": False, "error": f"{which}syntax", "message": "".join(traceback.format_exception_only(exc))}
    except BaseException as exc:
        out = failure(exc)
        where = f" ({out['where']})" if out["where"] else ""
        return {"ok": False, "error": f"{which}import", "message": f"{out['error']}: {out['message']}{where}"}


def import_target(target, is_path, folder):
    """A module from a file path or by name, with `folder` first on sys.path: the file's own folder,
    as `python FILE` has it, or the current folder, as `python -m` has it."""
    if folder not in sys.path:
        sys.path.insert(0, folder)
    if not is_path:
        return importlib.import_module(target)
    name = os.path.splitext(os.path.basename(target))[0]
    if not name.isidentifier() or name in sys.modules or name in sys.stdlib_module_names:
        name = "_gradcli_audit_" + str(len(sys.modules))
    spec = importlib.util.spec_from_file_location(name, target)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # so that the nn module's `from engine import Value` finds this one
    # The learner's file runs here: this is what `gradcli audit` is for (see the module's docstring).
    spec.loader.exec_module(module)
    return module


def find_class(module, name):
    """The class named `name`, or the only class of the module whose instances have data, grad and backward()."""
    classes = {k: v for k, v in vars(module).items() if isinstance(v, type)}
    listed = ", ".join(sorted(classes)) or "none"
    if name is not None:
        if name not in classes:
            return {"ok": False, "error": "class", "message": f"no class {name} (its classes: {listed})"}
        return classes[name]
    found = [c for c in classes.values() if callable(getattr(c, "backward", None)) and has_data_and_grad(c)]
    own = [c for c in found if c.__module__ == module.__name__]
    found = own or found
    found = [c for c in found if not any(d is not c and issubclass(d, c) for d in found)]  # the most derived
    if len(found) == 1:
        return found[0]
    if not found:
        return {
            "ok": False,
            "error": "class",
            "message": f"no class with data, grad and backward() (its classes: {listed}); name one with --class",
        }
    names = ", ".join(sorted(c.__name__ for c in found))
    message = f"several classes have data, grad and backward(): {names}; choose one with --class"
    return {"ok": False, "error": "class", "message": message}


def has_data_and_grad(cls):
    try:
        instance = cls(1.0)
        return hasattr(instance, "data") and hasattr(instance, "grad")
    except Exception:
        return False


# ---- cases ----------------------------------------------------------------------------------------


def number(x, what):
    """A data or grad as a float; anything else fails the case."""
    State.phase = "read"
    try:
        return float(x)
    except (TypeError, ValueError, OverflowError):
        raise Failure(f"{what} is {short(x)}, not a number") from None


def short(x):
    try:
        text = repr(x)
    except BaseException:
        text = f"a {type(x).__name__}"
    return text if len(text) <= 60 else text[:57] + "..."


def build(nodes, cls):
    """The case's nodes made with `cls`: instances, numbers, and the results of its operators."""
    State.phase = "build"
    made = []
    for node in nodes:
        kind = node[0]
        if kind == "leaf":
            made.append(cls(node[1]))
        elif kind == "num":
            made.append(node[1])
        elif kind == "neg":
            made.append(-made[node[1]])
        elif kind in BINARY:
            made.append(BINARY[kind](made[node[1]], made[node[2]]))
        else:
            made.append(getattr(made[node[1]], kind)())
    return made


def case(request):
    if request.get("deep"):
        return deeply(run_case, request)
    return run_case(request)


def run_case(request):
    nodes = request["nodes"]
    made = build(nodes, State.cls)
    leaves = [made[i] for i, node in enumerate(nodes) if node[0] == "leaf"]
    out = made[-1]
    if not callable(getattr(out, "backward", None)):
        raise Failure(f"the result is {short(out)}, which has no backward()")
    snapshots = []
    for action in request["actions"]:
        State.phase = action
        getattr(out, action)()
        snapshots.append(
            {"grads": [number(v.grad, "a leaf's grad") for v in leaves], "out": number(out.grad, "the output's grad")}
        )
    return {"ok": True, "value": number(out.data, "the output's data"), "snapshots": snapshots}


def deeply(function, request):
    """Run function(request) in a thread with a large stack and the recursion limit raised."""
    result = {}

    def target():
        try:
            result["response"] = function(request)
        except BaseException as exc:
            result["response"] = failure(exc)

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(DEEP_RECURSION_LIMIT)
    threading.stack_size(DEEP_STACK)
    try:
        thread = threading.Thread(target=target)
        thread.start()
        thread.join()
    finally:
        threading.stack_size(0)
        sys.setrecursionlimit(limit)
    return result["response"]


def mlp(request):
    """The nn module's MLP with the given weights: forward, backward, and zero_grad() when it has one."""
    State.phase = "build"
    model = State.mlp(request["nin"], list(request["nouts"]))
    params = list(model.parameters())
    if len(params) != len(request["weights"]):
        raise Failure(f"parameters() gives {len(params)} values, expected {len(request['weights'])}")
    for p, w in zip(params, request["weights"]):
        p.data = w

    def forward_backward():
        State.phase = "build"
        out = model(list(request["x"]))
        if isinstance(out, (list, tuple)) and len(out) == 1:
            out = out[0]
        State.phase = "backward"
        out.backward()
        return number(out.data, "the output's data"), [number(p.grad, "a parameter's grad") for p in params]

    value, grads = forward_backward()
    response = {"ok": True, "value": value, "grads": grads, "zero_grad": None}
    if callable(getattr(model, "zero_grad", None)):
        State.phase = "zero_grad"
        model.zero_grad()
        zeroed = [number(p.grad, "a parameter's grad") for p in params]
        value, again = forward_backward()
        response["zero_grad"] = {"zeroed": zeroed, "value": value, "grads": again}
    return response


if __name__ == "__main__":
    main()
