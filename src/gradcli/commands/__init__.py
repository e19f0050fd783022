"""One module per command; each defines `command`, a click command.

`_toolkit.py` holds what they share (a module whose name starts with `_` is no command).
"""
