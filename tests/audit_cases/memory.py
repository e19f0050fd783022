"""Hostile: multiplying asks for 80 GB."""

from value import Value as Correct


class Value(Correct):
    def __mul__(self, other):
        return [0.0] * 10**10
