"""gradcli: reverse-mode automatic differentiation of scalar programs, with its work shown.

`from gradcli import Value` gives micrograd's interface; `gradcli.draw_dot(value)` draws a
value's graph. Both load on first use, so `import gradcli` (and the CLI's start-up) stays light.
"""

__version__ = "0.1.0"
__all__ = ["Value", "draw_dot", "__version__"]


def __getattr__(name: str):
    if name == "Value":
        from .value import Value

        return Value
    if name == "draw_dot":
        from .views.dot import draw_dot

        return draw_dot
    raise AttributeError(f"module 'gradcli' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
