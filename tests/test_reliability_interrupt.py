"""Reliability, class 4 — Ctrl-C: a real `python -m gradcli` process and a real signal.

The process runs on a pseudo-terminal, so that it draws its progress bar; once the bar shows work
done, the long run is under way, and the signal is sent: SIGINT (Ctrl-C), SIGTERM (`kill`,
systemd, CI) or SIGHUP (the terminal closed). It must exit 128 + the signal (130, 143, 129) with
`error: interrupted ...` (naming SIGTERM or SIGHUP), no traceback, and no partial file: step's
--graph is either absent or a whole picture of the state the report shows; train reports the
steps done and plots them. No temporary file is left behind.

`test_a_signal_at_every_moment_of_step` covers every moment of `step` deterministically: in
process, the signal handler is called at each line of gradcli's code in turn (and at each call
it makes), instead of racing a real signal against the run.
"""

from __future__ import annotations

import os
import pty
import re
import select
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from helpers import run_cli
from reliability import Moments

WAIT = 120  # seconds to wait for the bar or the exit before the test gives up (a hang, not a timing)
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")


def read_until(fd: int, done, seen: bytearray) -> None:
    """Read the terminal into `seen` until `done(seen)` or the end of the output."""
    while not done(seen):
        ready, _, _ = select.select([fd], [], [], WAIT)
        assert ready, f"nothing for {WAIT} s; so far:\n{seen.decode(errors='replace')}"
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: the other side closed
            return
        if not chunk:
            return
        seen += chunk


def interrupt(argv: list[str], cwd: Path, marker: str, signum=signal.SIGINT) -> tuple[int, str]:
    """Run `python -m gradcli ARGV` on a terminal, send `signum` once `marker` (a regex) shows; (exit code, screen)."""
    parent, child = pty.openpty()
    env = os.environ | {"TERM": "xterm", "COLUMNS": "100", "LINES": "40"}
    env.pop("NO_COLOR", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "gradcli", *argv], stdin=child, stdout=child, stderr=child, cwd=cwd, env=env
    )
    os.close(child)
    seen = bytearray()
    try:
        read_until(parent, lambda s: re.search(marker, text_of(s)), seen)
        assert re.search(marker, text_of(seen)), text_of(seen)
        process.send_signal(signum)
        read_until(parent, lambda s: False, seen)
        code = process.wait(WAIT)
    finally:
        if process.poll() is None:
            process.kill()
        os.close(parent)
    return code, text_of(seen)


def text_of(seen: bytes) -> str:
    """The text on the terminal, without colours and cursor moves."""
    return ANSI.sub("", seen.decode(errors="replace"))


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


SIGNALS = [
    (signal.SIGINT, "interrupted"),
    (signal.SIGTERM, "interrupted by SIGTERM"),
    (signal.SIGHUP, "interrupted by SIGHUP"),
]
every_signal = pytest.mark.parametrize("signum, said", SIGNALS, ids=[s.name for s, _ in SIGNALS])


@every_signal
@pytest.mark.slow
def test_a_signal_during_a_long_descent(tmp_path, signum, said):
    program = "L = (x - 3)**2 + (y + 1)**2"
    argv = ["step", program, "--x", "0", "--y", "0", "--lr", "1e-9", "--steps", "1000000000", "--graph", "after.svg"]
    code, screen = interrupt(argv, tmp_path, r"descending\D*[1-9][0-9]*/1000000000", signum)  # a step is done
    assert code == 128 + signum, screen
    assert "Traceback" not in screen
    match = re.search(rf"error: {said} after step (\d+) of 1000000000; the report shows that state", screen)
    assert match, screen
    assert f"after {match.group(1)} steps" in screen
    picture = tmp_path / "after.svg"
    assert not picture.exists() or picture.read_bytes().rstrip().endswith(b"</svg>")
    assert leftovers(tmp_path) == []


@every_signal
@pytest.mark.slow
def test_a_signal_during_training(tmp_path, signum, said):
    pytest.importorskip("numpy")
    argv = ["train", "--steps", "1000000", "--hidden", "4", "--plot", "boundary.png"]
    code, screen = interrupt(argv, tmp_path, "training", signum)
    assert code == 128 + signum, screen
    assert "Traceback" not in screen
    match = re.search(rf"error: {said} (after step (\d+)|before step 1) of 1000000", screen)
    assert match, screen
    assert f"{match.group(2) or 0} steps, lr 1 -> 0.1" in screen and "final accuracy" in screen
    assert sorted(p.name for p in tmp_path.iterdir()) == ["boundary.png"]  # the picture of the state reported
    assert (tmp_path / "boundary.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# ---- every moment, deterministically --------------------------------------------------------------

STEP_FILES = (
    "commands/step.py",
    "commands/_toolkit.py",
    "descent.py",
    "output.py",
    "render.py",
    "interrupts.py",
)
BAR = {"TTY_COMPATIBLE": "1", "FORCE_COLOR": "1", "TERM": "xterm"}  # Rich takes the captured streams for terminals
CHANGE = {1: "L: 9.0000 -> 5.7600  (Δ -3.2400)", 2: "L: 9.0000 -> 3.6864  (Δ -5.3136) after 2 steps"}
X_AFTER = {1: "{ x | data 0.6000 |", 2: "{ x | data 1.0800 |"}


@pytest.mark.slow
def test_a_signal_at_every_moment_of_step(tmp_path, monkeypatch):
    """Ctrl-C anywhere in `step --steps 2 --graph after.dot`, from the start of the descent to the end."""
    monkeypatch.chdir(tmp_path)
    argv = ["step", "L=(x-3)**2", "--x", "0", "--lr", "0.1", "--steps", "2", "--graph", "after.dot"]
    assert run_cli(*argv, env=BAR).exit_code == 0  # imports done, so that every run has the same moments
    with Moments(STEP_FILES, "_descend", "_flush") as counted:
        assert run_cli(*argv, env=BAR).exit_code == 0
    assert counted.count > 150  # the bar's set-up, the steps, the picture's write are all in the count
    seen = set()
    before = set(threading.enumerate())  # threads of earlier tests (a Dask cluster's, say) are not step's
    for k in range(1, counted.count + 1):
        for path in tmp_path.iterdir():
            path.unlink()
        with Moments(STEP_FILES, "_descend", "_flush", at=k) as moment:
            result = run_cli(*argv, env=BAR)
        out, said = ANSI.sub("", result.stdout), ANSI.sub("", result.stderr)
        where = f"moment {k}, {moment.where}:\n{out}{said}"
        assert moment.where, where  # reached
        new = set(threading.enumerate()) - before
        for thread in new:  # the bar's refresh thread was told to stop: it ends by itself
            thread.join(WAIT)
        assert not any(thread.is_alive() for thread in new), where
        assert result.exit_code == 130, where
        assert "Traceback" not in out + said, where
        assert leftovers(tmp_path) == [], where
        last = said[said.rfind("error: ") :].strip()  # the bar, taken down by cursor moves, leaves its text
        picture = tmp_path / "after.dot"
        if last == "error: interrupted: no step finished; nothing was written":
            assert (out, list(tmp_path.iterdir())) == ("", []), where
            seen.add("none")
            continue
        match = re.fullmatch(
            r"error: interrupted(?: after step (\d) of 2; the report shows that state(; after\.dot was not written)?)?",
            last,
        )
        assert match, where
        steps = int(match.group(1) or 2)  # a signal after the whole report: the run is complete
        assert out.rstrip().endswith(CHANGE[steps]), where
        if match.group(2):
            assert not picture.exists(), where
            seen.add("unwritten")
        else:
            assert X_AFTER[steps] in picture.read_text(), where
            seen.add(steps if match.group(1) else "after the report")
    assert seen == {"none", 1, 2, "unwritten", "after the report"}
