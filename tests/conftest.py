"""pytest's fixtures; the helpers that tests import live in tests/helpers.py."""

from __future__ import annotations

import pytest

from helpers import run_cli


@pytest.fixture
def gradcli():
    return run_cli
