"""Planted bug: __rsub__ computes self - other, so 2 - a gives a - 2."""

from value import Value as Correct


class Value(Correct):
    def __rsub__(self, other):
        return self - other
