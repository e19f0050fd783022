"""gradcli: reverse-mode automatic differentiation of scalar programs, with its work shown."""

__version__ = "0.1.0"
