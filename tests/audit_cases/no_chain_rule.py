"""Planted bug: the functions (tanh, exp, ...) forget to multiply by out.grad. Alone, each looks
right (out.grad is 1); inside a larger program it is wrong."""

from value import Value as Correct


class Value(Correct):
    def _unary(self, data, derivative, op):
        out = Value(data, (self,), op)

        def _backward():
            self.grad += derivative(out)

        out._backward = _backward
        return out
