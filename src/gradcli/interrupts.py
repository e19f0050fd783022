"""Ctrl-C, SIGTERM and SIGHUP end gradcli the same way: as an exception, so that every clean-up runs.

While `handled()` is active (the command line's `main`), each of the three signals raises
`Interrupt`, a KeyboardInterrupt that knows its signal. So the code that cleans up after Ctrl-C
(a temporary file removed, the dot child killed, a descent's report of its last whole step) does
the same for `kill` and for a terminal that closes, and the exit code is 128 + the signal
(130, 143, 129). A signal that the parent set to be ignored (`nohup`) stays ignored.

Inside `shielded()` a signal waits until the block ends: for the few lines that must run whole,
such as recording a temporary file's name or killing a child. A command can also shield all of
its work and open `interruptible()` windows for the long parts (a descent, a layout), each of
which handles its own `Interrupt`: then a signal can land nowhere unhandled.
"""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager

SIGNALS = tuple(s for s in (signal.SIGINT, getattr(signal, "SIGTERM", None), getattr(signal, "SIGHUP", None)) if s)

_shields = 0  # how many shielded() blocks are open (in the main thread, where handlers run)
_pending: int | None = None  # a signal that arrived inside one
_received: int | None = None  # the first signal of this run


class Interrupt(KeyboardInterrupt):
    """A signal that ends the run: `signum` is which."""

    def __init__(self, signum: int):
        self.signum = signum
        super().__init__(signal.Signals(signum).name)


def _on_signal(signum: int, frame) -> None:
    global _pending, _received
    _received = _received or signum
    # Inside a shield, or in this module's own bookkeeping (entering or leaving a block), it waits.
    if _shields or (frame is not None and frame.f_code.co_filename == __file__):
        _pending = _pending or signum
        return
    raise Interrupt(signum)


@contextmanager
def handled():
    """Turn SIGINT, SIGTERM and SIGHUP into `Interrupt` for the duration (main thread only)."""
    global _received, _pending, _shields
    _received = _pending = None
    _shields = 0
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = {s: signal.getsignal(s) for s in SIGNALS}
    try:
        for s, handler in before.items():
            if handler is not signal.SIG_IGN:
                signal.signal(s, _on_signal)
        yield
    finally:
        for s, handler in before.items():
            signal.signal(s, handler)


def _act() -> None:
    """Raise the signal that waited, if any."""
    global _pending
    if _pending is not None:
        signum, _pending = _pending, None
        raise Interrupt(signum)


class shielded:
    """`with shielded():` a signal that arrives inside the block takes effect when the block is done."""

    def __enter__(self) -> None:
        global _shields
        _shields += 1

    def __exit__(self, *exc) -> None:
        global _shields
        _shields -= 1
        if not _shields:
            _act()


class interruptible:
    """`with interruptible():` inside `shielded()`, a block where signals act at once again; one that
    waited acts on entry."""

    def __enter__(self) -> None:
        global _shields
        self.saved, _shields = _shields, 0
        try:
            _act()
        except Interrupt:
            _shields = self.saved  # the block never began: its exit will not run
            raise

    def __exit__(self, *exc) -> None:
        global _shields
        _shields = self.saved
        if not _shields:
            _act()


def take_pending() -> bool:
    """Did a signal arrive in a shielded block that has not acted on it yet? It is then taken (acted on)."""
    global _pending
    pending, _pending = _pending, None
    return pending is not None


def received() -> int | None:
    """The signal that ended this run (the first one, if several came), or None."""
    return _received


def exit_code(code: int) -> int:
    """128 + the signal when one ended the run, else `code`."""
    return code if _received is None else 128 + _received


def described(message: str) -> str:
    """An `interrupted ...` message that names the signal when it was not Ctrl-C: `interrupted by SIGTERM ...`."""
    if _received in (None, signal.SIGINT) or not message.startswith("interrupted"):
        return message
    return f"interrupted by {signal.Signals(_received).name}{message[len('interrupted') :]}"
