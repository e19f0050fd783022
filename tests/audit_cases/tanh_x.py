"""Planted bug: tanh's derivative written 1 - x**2 instead of 1 - out**2."""

import math

from value import Value as Correct


class Value(Correct):
    def tanh(self):
        x = self.data
        return self._unary(math.tanh(x), lambda out: 1 - x**2, "tanh")
