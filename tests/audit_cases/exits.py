"""Hostile: subtracting calls sys.exit(3); dividing ends the process with os._exit(0)."""

import os
import sys

from value import Value as Correct


class Value(Correct):
    def __sub__(self, other):
        sys.exit(3)

    def __truediv__(self, other):
        os._exit(0)
