"""Planted bug: the derivative of x**k written (k*x)**(k - 1), which loses the sign for k = -1, and
so does a / b, computed as a * b**-1."""

from value import Value as Correct


class Value(Correct):
    def __pow__(self, other):
        if isinstance(other, Correct):
            return super().__pow__(other)
        out = Value(self.data**other, (self,), f"**{other}")

        def _backward():
            self.grad += (other * self.data) ** (other - 1) * out.grad

        out._backward = _backward
        return out
