"""What the benchmarks share: one row format for the summary table, timing, and finding programs."""

from __future__ import annotations

import compileall
import gc
import os
import statistics
import subprocess
import sys
import sysconfig
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


def median_time(function, repeat: int, clock=time.perf_counter) -> tuple[float, object]:
    """Median seconds of `function()` and its last result; the collector runs between runs only.

    `clock=time.process_time` counts this process's CPU seconds: for a single-threaded goal in
    seconds, what an idle machine's wall clock would show, on a shared machine too."""
    times, result = [], None
    for _ in range(repeat):
        gc.collect()
        start = clock()
        result = function()
        times.append(clock() - start)
    return statistics.median(times), result


def installed(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def compile_installed() -> None:
    """Bytecode for gradcli and every installed package, as `pip install` leaves them.

    Under PYTHONDONTWRITEBYTECODE (set on some machines and CI runners) nothing writes bytecode, so
    a command would compile numpy, Rich, click and Lark from source in every run: seconds that a
    user's installed copy never spends, on both sides of a start-up comparison. Up-to-date files
    are skipped, so only the first benchmark run pays.
    """
    import gradcli

    for folder in {os.path.dirname(gradcli.__file__), sysconfig.get_paths()["purelib"]}:
        compileall.compile_dir(folder, quiet=2, workers=0)


def gradcli_command() -> list[str]:
    """The `gradcli` script installed next to this Python (no shell shims), or `python -m gradcli`."""
    script = Path(sys.executable).with_name("gradcli")
    return [str(script)] if script.exists() else [sys.executable, "-m", "gradcli"]


#: Run a command with stdout to /dev/null; print its wall seconds, CPU seconds, peak memory (KiB)
#: and exit code. A small process of its own, because a child's peak memory counts the memory of
#: the process that started it (Linux carries it over through fork or vfork until exec).
MEASURE = """
import os, sys, time
start = time.perf_counter()
sink = [(os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0)]
pid = os.posix_spawn(sys.argv[1], sys.argv[1:], os.environ, file_actions=sink)
_, status, usage = os.wait4(pid, 0)
cpu = usage.ru_utime + usage.ru_stime
print(time.perf_counter() - start, cpu, usage.ru_maxrss, os.waitstatus_to_exitcode(status))
"""


def measure(command: list[str]) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds and peak memory (MiB) of one run of `command` (stdout discarded)."""
    done = subprocess.run([sys.executable, "-c", MEASURE, *command], capture_output=True, text=True, check=True)
    wall, cpu, kib, code = done.stdout.split()
    if int(code):
        raise SystemExit(f"{' '.join(command[:3])} failed ({code}): {done.stderr[-500:]}")
    return float(wall), float(cpu), int(kib) / 1024
