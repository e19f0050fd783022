"""Planted bug: the topological sort keeps no visited set, so a value reached by two paths is
listed (and its _backward run) once per path."""

from value import Value as Correct


class Value(Correct):
    def topological_order(self):
        order, stack = [], [(self, False)]
        while stack:
            v, done = stack.pop()
            if done:
                order.append(v)
            else:
                stack.append((v, True))
                stack.extend((child, False) for child in v._prev)
        return order
