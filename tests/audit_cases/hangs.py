"""Hostile: adding loops forever."""

from value import Value as Correct


class Value(Correct):
    def __add__(self, other):
        while True:
            pass
