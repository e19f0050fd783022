"""Planted bug: zero_grad() zeroes the leaves only, not the intermediate values."""

from value import Value as Correct


class Value(Correct):
    def zero_grad(self):
        for v in self.topological_order():
            if not v._prev:
                v.grad = 0.0
