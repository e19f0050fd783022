"""The learner's code in a child process: started, limited, timed, killed and started again here.

gradcli never imports the learner's file itself: `runner.py` does, in a child process of its own
(a new session, so that Ctrl-C and a kill reach it and whatever it started), with limits on memory
and CPU time and no core file. The two talk through pipes, one JSON object a line; nothing from
the child is unpickled or run. A request that outlives its time limit, or a child that dies (a
segfault, `os._exit`), is an answer like any other (`phase` "timeout" or "crash"), and the next
request starts a fresh child. What the learner's code prints is thrown away in the child; what
reaches its standard error below Python (a fatal error's traceback) is read here, and only the
last few kilobytes are kept.
"""

from __future__ import annotations

import json
import os
import re
import selectors
import signal
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

RUNNER = Path(__file__).with_name("runner.py")
MEMORY = 4 * 2**30  # bytes of address space
CPU = 600  # seconds of CPU time over the child's life: a backstop, as every request has a time limit
IMPORT_SECONDS = 30.0  # importing the file may import numpy or torch
LINE_MAX = 16 * 2**20  # the longest answer read
TAIL = 8192  # bytes of the child's standard error kept


class Child:
    """One child process at a time, running `runner.py` on the learner's file."""

    def __init__(self, load: dict):
        self.load = {"kind": "load", "memory": MEMORY, "cpu": CPU} | load
        self.proc: subprocess.Popen | None = None
        self.restarts = 0

    def __enter__(self) -> Child:
        return self

    def __exit__(self, *exc) -> None:
        self.kill()

    def start(self) -> dict:
        """Start a child and import the file: its answer to the load request."""
        req_r, req_w = os.pipe()
        res_r, res_w = os.pipe()
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-P", "-B", "-X", "faulthandler", str(RUNNER), str(req_r), str(res_w)],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                pass_fds=(req_r, res_w), start_new_session=True,
            )  # fmt: skip
        except BaseException:
            for fd in (req_w, res_r):
                os.close(fd)
            raise
        finally:
            os.close(req_r)
            os.close(res_w)
        self.requests, self.answers, self.errors = req_w, res_r, self.proc.stderr.fileno()
        for fd in (req_w, res_r, self.errors):
            os.set_blocking(fd, False)
        self.buffer, self.tail = b"", b""
        return self._exchange(self.load, IMPORT_SECONDS)

    def ask(self, request: dict, seconds: float) -> dict:
        """The child's answer to `request`, or {"ok": False, "phase": "timeout" | "crash", ...}."""
        if self.proc is None:
            self.restarts += 1
            answer = self.start()
            if not answer.get("ok"):
                self.kill()
                why = answer.get("message", "")
                return {"ok": False, "phase": "crash", "message": f"the file could not be imported again: {why}"}
        return self._exchange(request, seconds)

    def _exchange(self, request: dict, seconds: float) -> dict:
        data = memoryview((json.dumps(request) + "\n").encode())
        deadline = time.monotonic() + seconds
        with selectors.DefaultSelector() as chooser:
            chooser.register(self.answers, selectors.EVENT_READ, "answer")
            chooser.register(self.errors, selectors.EVENT_READ, "error")
            chooser.register(self.requests, selectors.EVENT_WRITE, "request")
            while b"\n" not in self.buffer:
                left = deadline - time.monotonic()
                if left <= 0:
                    self.kill()
                    return {"ok": False, "phase": "timeout", "seconds": seconds}
                for key, _ in chooser.select(left):
                    if key.data == "request":
                        try:
                            data = data[os.write(self.requests, data) :]
                        except BlockingIOError:
                            continue
                        except BrokenPipeError:
                            data = data[:0]  # the child is gone: its answers pipe says so next
                        if not data:
                            chooser.unregister(self.requests)
                    elif key.data == "error":
                        chunk = _read(self.errors)
                        if chunk:
                            self.tail = (self.tail + chunk)[-TAIL:]
                        elif chunk is not None:
                            chooser.unregister(self.errors)
                    else:
                        chunk = _read(self.answers)
                        if chunk == b"":
                            return self._died()
                        self.buffer += chunk or b""
                        if len(self.buffer) > LINE_MAX:
                            self.kill()
                            return {"ok": False, "phase": "crash", "message": "it sent an answer too long to read"}
        line, _, self.buffer = self.buffer.partition(b"\n")
        try:
            answer = json.loads(line)
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            self.kill()
            return {"ok": False, "phase": "crash", "message": "it sent an answer gradcli cannot read"}
        return answer

    def _died(self) -> dict:
        """The child closed its answers pipe: wait for it and say how it ended."""
        try:
            code = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.kill()
            return {"ok": False, "phase": "crash", "message": "it closed its pipe to gradcli"}
        deadline = time.monotonic() + 1
        while time.monotonic() < deadline and (chunk := _read(self.errors)) not in (b"", None):
            self.tail = (self.tail + chunk)[-TAIL:]
        tail = self.tail.decode(errors="replace")
        self.kill()
        return {"ok": False, "phase": "crash", "message": describe_exit(code, tail)}

    def kill(self) -> None:
        """End the child and everything it started (its session); close the pipes."""
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.wait()
        for fd in (self.requests, self.answers):
            os.close(fd)
        self.proc.stderr.close()
        self.proc = None


def _read(fd: int) -> bytes | None:
    """What is there to read (b"" at the end), or None when nothing is yet."""
    try:
        return os.read(fd, 65536)
    except BlockingIOError:
        return None


def _standard_library(path: str) -> bool:
    """Is `path` a module of Python's own library (not an installed package)?"""
    path, paths = os.path.abspath(path), sysconfig.get_paths()
    inside = [os.path.commonpath([paths[key], path]) == paths[key] for key in ("stdlib", "purelib", "platlib")]
    return inside[0] and not inside[1] and not inside[2]


_FRAME = re.compile(r'File "([^"]+)", line (\d+) in (\S+)')


def describe_exit(code: int, tail: str) -> str:
    """`killed by SIGSEGV (segmentation fault) in __mul__ (crash.py, line 9)`, from the exit code and
    the last of the child's standard error (faulthandler's traceback, innermost frame first)."""
    if code < 0:
        number = -code
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = f"signal {number}"
        what = (signal.strsignal(number) or "").lower()
        text = f"killed by {name}" + (f" ({what})" if what else "")
        if number == signal.SIGXCPU:
            text += f": it used up its {CPU} s of CPU time"
    else:
        text = f"the process exited with code {code}"
    frames = [m for m in _FRAME.finditer(tail) if m[1] != str(RUNNER) and not _standard_library(m[1])]
    if frames:
        path, line, function = frames[0].groups()
        text += f" in {function} ({Path(path).name}, line {line})"
    return text
