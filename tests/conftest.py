"""pytest's fixtures; the helpers that tests import live in tests/helpers.py."""

from __future__ import annotations

import signal

import pytest

from browser import browser, open_page  # noqa: F401  (the walk-through page's browser fixtures)
from helpers import run_cli

# A suite started under `nohup`, or as a background job of a script, inherits SIGINT and SIGHUP
# ignored, and so would every gradcli it starts: the signal tests would send them to no effect. The
# suite runs with their usual handling, as from a terminal.
signal.signal(signal.SIGINT, signal.default_int_handler)
signal.signal(signal.SIGHUP, signal.SIG_DFL)


@pytest.fixture
def gradcli():
    return run_cli
