"""suggest(): the one helper behind every "did you mean". Judged as typing slips, a swap
of two neighbouring letters weighing half an edit; bounded work whatever the input."""

from __future__ import annotations

import pytest

from gradcli.suggest import BUDGET, distance, suggest


@pytest.mark.parametrize(
    "word,names,expected",
    [
        ("tahn", ["tanh", "sigmoid", "relu", "exp", "log", "sqrt", "abs", "sin", "cos", "tan"], "tanh"),
        ("tahn", ["tan", "tanh"], "tanh"),  # a swap (0.5) beats a letter too many (1), whatever the order
        ("sigmiod", ["sigmoid", "sin"], "sigmoid"),
        ("tanhh", ["tan", "tanh"], "tanh"),
        ("precison", ["precision", "format", "all"], "precision"),
        ("fromat", ["precision", "format"], "format"),
        ("evl", ["eval", "graph", "step", "explain", "check", "train", "help"], "eval"),
        ("moon", ["moons", "circles"], "moons"),
        ("aa", ["a", "b", "c", "f"], "a"),
        ("b", ["a", "bb"], "bb"),
        ("x", ["y"], None),  # one letter for another: no evidence of a slip
        ("abc", ["xyz"], None),
        ("tanh", ["tanh"], None),  # the word itself is not a suggestion
        ("", ["a"], None),
        ("x" * 65, ["x" * 64], None),  # too long to be a slip of a name
    ],
)
def test_suggest(word, names, expected):
    assert suggest(word, names) == expected


def test_distance_counts_a_swap_as_half_an_edit():
    assert distance("tahn", "tanh") == 0.5
    assert distance("tahn", "tan") == 1
    assert distance("kitten", "sitting") == 3
    assert distance("abc", "abc") == 0


def test_suggest_does_bounded_work_whatever_the_candidates(monkeypatch):
    """A million 60-letter names of the right length: the comparisons stop at a fixed budget of cells."""
    import gradcli.suggest as module

    cells = []
    real = module.distance
    monkeypatch.setattr(module, "distance", lambda a, b, limit: cells.append(len(a) * len(b)) or real(a, b, limit))
    names = (f"{k:060d}" for k in range(1_000_000))
    assert suggest("z" * 60, names) is None
    assert sum(cells) <= BUDGET


def test_no_module_has_a_did_you_mean_of_its_own():
    """Every suggestion comes from suggest.py: no other module imports difflib."""
    from pathlib import Path

    import gradcli

    users = [p.name for p in Path(gradcli.__file__).parent.rglob("*.py") if "difflib" in p.read_text()]
    assert users == []
