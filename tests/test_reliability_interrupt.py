"""Reliability (issue 7), class 4 — Ctrl-C: a real `python -m gradcli` process and a real SIGINT.

The process runs on a pseudo-terminal, so that it draws its progress bar; once the bar is on the
screen the long run is under way, and SIGINT is sent. It must exit 130 with `error: interrupted`,
no traceback, and no partial file: step's --graph is either absent or a whole picture of the
state the report shows; train reports the steps done and plots them. No temporary file is left behind.
"""

from __future__ import annotations

import os
import pty
import re
import select
import signal
import subprocess
import sys
from pathlib import Path

import pytest

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


def interrupt(argv: list[str], cwd: Path, marker: bytes) -> tuple[int, str]:
    """Run `python -m gradcli ARGV` on a terminal, send SIGINT once `marker` shows; (exit code, screen text)."""
    parent, child = pty.openpty()
    env = os.environ | {"TERM": "xterm", "COLUMNS": "100", "LINES": "40"}
    env.pop("NO_COLOR", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "gradcli", *argv], stdin=child, stdout=child, stderr=child, cwd=cwd, env=env
    )
    os.close(child)
    seen = bytearray()
    try:
        read_until(parent, lambda s: marker in s, seen)
        assert marker in seen, seen.decode(errors="replace")
        process.send_signal(signal.SIGINT)
        read_until(parent, lambda s: False, seen)
        code = process.wait(WAIT)
    finally:
        if process.poll() is None:
            process.kill()
        os.close(parent)
    return code, ANSI.sub("", seen.decode(errors="replace"))


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_ctrl_c_during_a_long_descent(tmp_path):
    program = "L = (x - 3)**2 + (y + 1)**2"
    argv = ["step", program, "--x", "0", "--y", "0", "--lr", "1e-9", "--steps", "1000000000", "--graph", "after.svg"]
    code, screen = interrupt(argv, tmp_path, b"descending")
    assert code == 130, screen
    assert "Traceback" not in screen
    match = re.search(r"error: interrupted after step (\d+) of 1000000000; the report shows that state", screen)
    assert match, screen
    assert f"after {match.group(1)} steps" in screen
    picture = tmp_path / "after.svg"
    assert not picture.exists() or picture.read_bytes().rstrip().endswith(b"</svg>")
    assert leftovers(tmp_path) == []


def test_ctrl_c_during_training(tmp_path):
    pytest.importorskip("numpy")
    argv = ["train", "--steps", "1000000", "--hidden", "4", "--plot", "boundary.png"]
    code, screen = interrupt(argv, tmp_path, b"training")
    assert code == 130, screen
    assert "Traceback" not in screen
    match = re.search(r"error: interrupted (after step (\d+)|before step 1) of 1000000", screen)
    assert match, screen
    assert f"{match.group(2) or 0} steps, lr 1 -> 0.1" in screen and "final accuracy" in screen
    assert sorted(p.name for p in tmp_path.iterdir()) == ["boundary.png"]  # the picture of the state reported
    assert (tmp_path / "boundary.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
