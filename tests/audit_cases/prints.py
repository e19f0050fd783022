"""Hostile: every addition prints a flood, through Python and straight to the file descriptors."""

import os
import sys

from value import Value as Correct

FLOOD = "spam " * 200_000  # 1 MB through Python, 10 kB straight to each file descriptor


class Value(Correct):
    def __add__(self, other):
        print(FLOOD)
        print(FLOOD, file=sys.stderr)
        os.write(1, FLOOD[:10_000].encode())
        os.write(2, FLOOD[:10_000].encode())
        return super().__add__(other)
