"""Many floats as JSON text, fast, written exactly as Python's `json` writes them.

A million-node record is two million floats. Python writes each with `repr` (the shortest text
that reads back as the same float), about a microsecond apiece; orjson writes the same shortest
digits twenty times faster. Its text differs from Python's only in form, for some exponents:
`1e-7` where Python writes `1e-07`, and `0.00001` where Python writes `1e-05` (Python switches to
an exponent below 1e-4, orjson below 1e-5). Those are rewritten to Python's form, so the output
does not depend on whether orjson is installed (without it, `repr` writes every number).

None, NaN and infinities are written as `null`, as gradcli's records show a missing or undefined
number.
"""

from __future__ import annotations

import math
import re

try:
    import orjson
except ImportError:  # a platform without its wheel: Python's own formatting
    orjson = None

#: orjson's fixed-point text of a number in [1e-5, 1e-4): 0.0000 then its digits.
_FIXED = re.compile(r"(?<![\d.])(-?)0\.0000([1-9])(\d*)")
#: a one-digit negative exponent, which Python pads to two digits
_SHORT_EXPONENT = re.compile(r"e-(\d)(?!\d)")


def texts(numbers: list) -> list[str]:
    """Each number (a float, or None) as JSON text: what `json.dumps` writes, `null` where it is
    None, NaN or infinite."""
    if orjson is None:
        return [_text(x) for x in numbers]
    written = _written(numbers)
    return written.split(",") if written else []


def joined(numbers: list) -> str:
    """`", ".join(texts(numbers))`, the items of a JSON array, without a string per number."""
    if orjson is None:
        return ", ".join(map(_text, numbers))
    return _written(numbers).replace(",", ", ")


def _written(numbers: list) -> str:
    """The numbers by orjson, comma-separated, each rewritten to Python's form where it differs."""
    written = orjson.dumps(numbers).decode()[1:-1]  # orjson writes NaN and infinities as null too
    if "e-" in written:
        written = _SHORT_EXPONENT.sub(r"e-0\1", written)
    if "0.0000" in written:
        written = _FIXED.sub(_exponent_form, written)
    return written


def _text(x) -> str:
    return "null" if x is None or not math.isfinite(x) else repr(float(x))


def _exponent_form(match: re.Match) -> str:
    sign, first, rest = match.groups()
    return f"{sign}{first}{'.' + rest if rest else ''}e-05"
