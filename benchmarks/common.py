"""What the benchmarks share: one row format for the summary table, timing, and finding programs."""

from __future__ import annotations

import gc
import statistics
import sys
import time
from pathlib import Path


def row(target, case, gradcli, unit, peer=None, theirs=None, at_least=None, below=None, goal="") -> dict:
    """One line of the summary: gradcli's figure, the peer's, the ratio peer/gradcli and the goal.

    `at_least`: the ratio must reach it (gradcli N times faster); `below`: gradcli's figure must
    stay under it (a limit, no peer); `goal` words the goal when the default would not read well.
    """
    ratio = theirs / gradcli if theirs is not None else None
    if at_least is not None:
        goal, met = goal or f">= {at_least:g}x", None if ratio is None else ratio >= at_least
    elif below is not None:
        goal, met = f"< {below:g} {unit}", gradcli < below
    else:
        met = None
    return {
        "target": target, "case": case, "gradcli": gradcli, "unit": unit, "peer": peer,
        "peer_value": theirs, "ratio": ratio, "goal": goal, "met": met,
    }  # fmt: skip


def median_time(function, repeat: int) -> tuple[float, object]:
    """Median seconds of `function()` and its last result; the collector runs between runs only."""
    times, result = [], None
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def installed(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def gradcli_command() -> list[str]:
    """The `gradcli` script installed next to this Python (no shell shims), or `python -m gradcli`."""
    script = Path(sys.executable).with_name("gradcli")
    return [str(script)] if script.exists() else [sys.executable, "-m", "gradcli"]
