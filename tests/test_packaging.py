"""What pyproject.toml promises: dependency floors that have what the code uses."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import lark

ROOT = Path(__file__).resolve().parents[1]


def floor(requirement: str) -> tuple[int, ...]:
    """`lark>=1.3.0` -> (1, 3, 0)."""
    return tuple(int(part) for part in re.search(r">=\s*([\d.]+)", requirement).group(1).split("."))


def test_the_lark_floor_has_the_text_slices_the_lexer_takes():
    # parser._Lexer uses lark's second lexer interface, whose text is a lark.TextSlice: lark 1.3.0
    # added both (1.2.2 hands the lexer a str, and parsing fails), as a scratch install of each shows.
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    (requirement,) = [d for d in dependencies if re.match(r"lark\b", d)]
    assert floor(requirement) >= (1, 3, 0)
    assert hasattr(lark, "TextSlice")
