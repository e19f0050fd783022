""" "Did you mean ...?": the closest of some names to a word that is not one of them.

Closeness is a count of typing slips (a Damerau-Levenshtein distance): a character inserted,
deleted or replaced costs 1, two neighbours swapped cost 0.5, as a swap is the likeliest slip
(`tahn` is `tanh` swapped, and only then `tan` with one letter too many). A name is suggested
when it is within about a third of the longer word's length. The work is bounded whatever the
input: long words get no suggestion and each comparison stops once it cannot come close.
"""

from __future__ import annotations

from collections.abc import Iterable

SWAP = 0.5
LONGEST = 64  # a longer word is not a typo of a name worth suggesting
BUDGET = 2_000_000  # table cells computed for one suggestion, over all candidates


def distance(a: str, b: str, limit: float = float("inf")) -> float:
    """Typing slips that turn `a` into `b`; anything above `limit` may be returned as limit + 1."""
    previous, row = None, list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        ca, before = a[i - 1], previous
        previous, row = row, [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cb = b[j - 1]
            cost = previous[j - 1] + (ca != cb)
            cost = min(cost, previous[j] + 1, row[j - 1] + 1)
            if before is not None and j > 1 and ca != cb and ca == b[j - 2] and a[i - 2] == cb:
                cost = min(cost, before[j - 2] + SWAP)
            row[j] = cost
        if min(row) > limit:
            return limit + 1
    return row[-1]


def suggest(word: str, names: Iterable[str]) -> str | None:
    """The name closest to `word` by typing slips, if one is close enough; the first of equals wins."""
    if not word or len(word) > LONGEST:
        return None
    best, best_cost, budget = None, float("inf"), BUDGET
    for name in names:
        limit = (max(len(word), len(name)) + 1) // 3
        if name == word or abs(len(name) - len(word)) > min(limit, best_cost):
            continue
        budget -= (len(word) + 1) * (len(name) + 1)
        if budget < 0:
            break
        cost = distance(word, name, limit)
        if cost <= limit and cost < best_cost:
            best, best_cost = name, cost
    return best


def did_you_mean(word: str, names: Iterable[str], prefix: str = "") -> str:
    """`; did you mean tanh?` (the closest name, written after `prefix`), or nothing: every hint of gradcli's."""
    close = suggest(word, names)
    return f"; did you mean {prefix}{close}?" if close is not None else ""
