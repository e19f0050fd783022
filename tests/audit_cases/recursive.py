"""Planted limit: micrograd's recursive topological sort, which stops near depth 1,000."""

from value import Value as Correct


class Value(Correct):
    def topological_order(self):
        order, visited = [], set()

        def build(v):
            if v not in visited:
                visited.add(v)
                for child in v._prev:
                    build(child)
                order.append(v)

        build(self)
        return order
