"""A correct micrograd-style Value, written as a learner might after the lecture (with an iterative
topological sort): the base of the planted bugs beside it, each of which changes one thing."""

import math


class Core:
    """Everything but the reversed operators (2 + a), which `Value` adds."""

    def __init__(self, data, _children=(), _op=""):
        self.data = data
        self.grad = 0.0
        self._backward = lambda: None
        self._prev = tuple(_children)
        self._op = _op

    def _wrap(self, other):
        return other if isinstance(other, Core) else type(self)(other)

    def __add__(self, other):
        other = self._wrap(other)
        out = type(self)(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __mul__(self, other):
        other = self._wrap(other)
        out = type(self)(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def __pow__(self, other):
        if not isinstance(other, Core):
            out = type(self)(self.data**other, (self,), f"**{other}")

            def _backward():
                self.grad += other * self.data ** (other - 1) * out.grad

        else:
            out = type(self)(self.data**other.data, (self, other), "**")

            def _backward():
                self.grad += other.data * self.data ** (other.data - 1) * out.grad
                other.grad += out.data * math.log(self.data) * out.grad

        out._backward = _backward
        return out

    def __neg__(self):
        return self * -1

    def __sub__(self, other):
        return self + (-other)

    def __truediv__(self, other):
        return self * other**-1

    def _unary(self, data, derivative, op):
        out = type(self)(data, (self,), op)

        def _backward():
            self.grad += derivative(out) * out.grad

        out._backward = _backward
        return out

    def tanh(self):
        return self._unary(math.tanh(self.data), lambda out: 1 - out.data**2, "tanh")

    def exp(self):
        return self._unary(math.exp(self.data), lambda out: out.data, "exp")

    def relu(self):
        return self._unary(max(self.data, 0.0), lambda out: float(out.data > 0), "relu")

    def sigmoid(self):
        return self._unary(1 / (1 + math.exp(-self.data)), lambda out: out.data * (1 - out.data), "sigmoid")

    def log(self):
        return self._unary(math.log(self.data), lambda out: 1 / self.data, "log")

    def topological_order(self):
        order, visited, stack = [], set(), [(self, False)]
        while stack:
            v, done = stack.pop()
            if done:
                order.append(v)
            elif v not in visited:
                visited.add(v)
                stack.append((v, True))
                stack.extend((child, False) for child in v._prev)
        return order

    def backward(self):
        self.grad = 1.0
        for v in reversed(self.topological_order()):
            v._backward()

    def zero_grad(self):
        for v in self.topological_order():
            v.grad = 0.0

    def __repr__(self):
        return f"Value(data={self.data}, grad={self.grad})"


class Value(Core):
    def __radd__(self, other):
        return self + other

    def __rsub__(self, other):
        return other + (-self)

    def __rmul__(self, other):
        return self * other

    def __rtruediv__(self, other):
        return other * self**-1

    def __rpow__(self, other):
        return type(self)(other) ** self
