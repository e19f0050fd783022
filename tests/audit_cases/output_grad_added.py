"""Planted bug: backward() adds 1 to the output's grad (+= 1), so a second call compounds more."""

from value import Value as Correct


class Value(Correct):
    def backward(self):
        self.grad += 1.0
        for v in reversed(self.topological_order()):
            v._backward()
