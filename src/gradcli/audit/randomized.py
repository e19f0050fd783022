"""Random programs over the operations a class passed alone, searched with hypothesis.

`hypothesis.find` draws programs from a seeded source until one disagrees with gradcli's engine,
then shrinks it to the smallest program that still disagrees. The learner's class runs each one in
the child; gradcli only compares numbers.
"""

from __future__ import annotations

import random

from .cases import Expected, Program, judged

VALUES = (2.0, -1.5, 0.5, 3.0, -0.25, 1.25)  # the leaves' values
NUMBERS = (2, -1, 0.5, 3, -2.5)  # number operands
EXPONENTS = (2, 3, -1, 0.5)  # number exponents
LARGEST = 1e6  # programs whose values or gradients grow past this are left out


def programs(forms: list[tuple[str, str]]):
    """A hypothesis strategy of programs: 1-3 leaves, then 1-6 operations, each a form that the class
    passed alone: ("value", op) on two values, ("right", op) value op number, ("left", op) number op
    value, ("unary", op) for `-a` and methods."""
    from hypothesis import strategies as st

    @st.composite
    def draw_program(draw) -> Program:
        program = Program()
        values = [program.leaf(draw(st.sampled_from(VALUES))) for _ in range(draw(st.integers(1, 3)))]
        for _ in range(draw(st.integers(1, 6))):
            kind, op = draw(st.sampled_from(forms))
            x = draw(st.sampled_from(values[::-1]))  # the latest value first: programs that shrink to chains
            if kind == "value":
                node = program.op(op, x, draw(st.sampled_from(values[::-1])))
            elif kind == "unary":
                node = program.op(op, x)
            else:
                k = program.num(draw(st.sampled_from(EXPONENTS if op == "pow" else NUMBERS)))
                node = program.op(op, x, k) if kind == "right" else program.op(op, k, x)
            values.append(node)
        return program.pruned()

    return draw_program()


def fair(program: Program) -> Expected | None:
    """gradcli's expectation for a program fit to judge a class by: defined, away from the points
    where a derivative is only a convention (relu at 0; x**y at x = 0, whose exponent's derivative
    needs log(0)), and with values and gradients of moderate size."""
    expected = judged(program)
    if expected is None or expected.value_scale > LARGEST or expected.grad_scale > LARGEST:
        return None
    run = expected.run
    depends = run.depends
    for node in run.graph.nodes:
        if node.op == "pow" and depends[node.args[1]] and run.values[node.args[0]] == 0:
            return None
    return expected


class Stop(Exception):
    """The search stops: a program timed out or crashed the child (shrinking it would repeat that)."""


def search(forms, disagrees, examples: int, seed: int) -> Program | None:
    """The smallest program that `disagrees(program, expected)`, or None after `examples` fair programs agree.

    A program that times out or crashes is returned as it is, unshrunk: `disagrees` raises Stop
    with it, and every later call stops at once so that hypothesis gives up quickly.
    """
    from hypothesis import HealthCheck, assume, find, settings
    from hypothesis.errors import NoSuchExample, Unsatisfiable

    stopped: list[Program] = []

    def condition(program: Program) -> bool:
        if stopped:
            raise Stop
        expected = fair(program)
        assume(expected is not None)
        try:
            return disagrees(program, expected)
        except Stop:
            stopped.append(program)
            raise

    options = settings(max_examples=examples, database=None, deadline=None, suppress_health_check=list(HealthCheck))
    try:
        return find(programs(forms), condition, settings=options, random=random.Random(seed))
    except (NoSuchExample, Unsatisfiable):
        return None
    except Stop:
        return stopped[0]
