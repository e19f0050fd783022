"""Planted bug: no __rmul__, so 2 * a fails while a * 2 works."""

from value import Core


class Value(Core):
    def __radd__(self, other):
        return self + other

    def __rsub__(self, other):
        return other + (-self)

    def __rtruediv__(self, other):
        return other * self**-1

    def __rpow__(self, other):
        return Value(other) ** self
