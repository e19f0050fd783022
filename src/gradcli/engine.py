"""micrograd's module path: `from gradcli.engine import Value`, as code written for micrograd imports it.

gradcli's engine itself, which runs a program's graph forward and backward, is `autodiff.py`;
its public names are offered here too. The library's core imports `autodiff`, never this face.
"""

from .autodiff import Compiled, Note, compiled, evaluate, gradient_notes, gradients, undefined_error
from .value import Value

__all__ = ["Compiled", "Note", "Value", "compiled", "evaluate", "gradient_notes", "gradients", "undefined_error"]
