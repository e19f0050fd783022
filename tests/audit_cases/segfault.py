"""Hostile: multiplying crashes the interpreter (reads address 0)."""

import ctypes

from value import Value as Correct


class Value(Correct):
    def __mul__(self, other):
        return ctypes.string_at(0)
