"""The op table in JavaScript, for the walk-through page (provisional: replaced by the generator)."""

from __future__ import annotations

_TEMP = {
    "add": ("x + y", ["1", "1"], None),
    "sub": ("x - y", ["1", "-1"], None),
    "mul": ("x * y", ["y", "x"], None),
    "div": ("x / y", ["1 / y", "-out / y"], None),
    "pow": (
        "Math.pow(x, y)",
        ["y === 0 ? 0 : y * Math.pow(x, y - 1)", "x > 0 ? out * Math.log(x) : x === 0 ? 0 : NaN"],
        None,
    ),
    "neg": ("-x", ["-1"], None),
    "id": ("x", ["1"], None),
    "tanh": ("Math.tanh(x)", ["1 - out * out"], None),
    "sigmoid": ("x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))", ["out * (1 - out)"], None),
    "relu": ("x > 0 ? x : 0", ["x > 0 ? 1 : 0"], "x"),
    "exp": ("Math.exp(x)", ["out"], None),
    "log": ("Math.log(x)", ["1 / x"], None),
    "sqrt": ("Math.sqrt(x)", ["0.5 / out"], None),
    "abs": ("Math.abs(x)", ["(x > 0) - (0 > x)"], "x"),
    "sin": ("Math.sin(x)", ["Math.cos(x)"], None),
    "cos": ("Math.cos(x)", ["-Math.sin(x)"], None),
    "tan": ("Math.tan(x)", ["1 + out * out"], None),
    "max": ("Math.max(x, y)", ["x > y ? 1 : x === y ? 0.5 : 0", "y > x ? 1 : x === y ? 0.5 : 0"], "x - y"),
    "min": ("Math.min(x, y)", ["y > x ? 1 : x === y ? 0.5 : 0", "x > y ? 1 : x === y ? 0.5 : 0"], "x - y"),
}


def ops_script() -> str:
    lines = []
    for name, (f, ds, side) in _TEMP.items():
        params = "(x)" if len(ds) == 1 else "(x, y)"
        dparams = "(x, out)" if len(ds) == 1 else "(x, y, out)"
        entry = f"f: {params} => {f}, d: [{', '.join(f'{dparams} => {d}' for d in ds)}]"
        if side:
            entry += f", side: {params} => {side}"
        lines.append(f"  {name}: {{ {entry} }},")
    return "const OPS = {\n" + "\n".join(lines) + "\n};"
