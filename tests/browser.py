"""A real browser for the tests of the walk-through page: headless Chromium, driven by Playwright.

Playwright's Python package (the `test` extra) drives the system's Chromium (Debian's `chromium`
package); it never downloads a browser. Tests that need one skip, saying why, when either is missing.
`GRADCLI_CHROMIUM=/path/to/chrome` picks another Chromium build.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ARGS = [
    "--no-sandbox",  # root in a container has no user namespaces for Chromium's sandbox
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def chromium() -> str | None:
    """The Chromium to drive: $GRADCLI_CHROMIUM, or the first of the usual names on PATH."""
    chosen = os.environ.get("GRADCLI_CHROMIUM")
    if chosen:
        return chosen
    return next((path for name in NAMES if (path := shutil.which(name))), None)


@dataclass
class Opened:
    """A page open in the browser, with what it said and asked for while it ran."""

    page: object
    console: list = field(default_factory=list)  # (type, text) of every console message
    errors: list = field(default_factory=list)  # uncaught exceptions
    requests: list = field(default_factory=list)  # every URL requested
    failed: list = field(default_factory=list)  # (URL, why) of every request that failed

    def text(self, selector: str) -> str:
        return self.page.text_content(selector)

    def texts(self, selector: str) -> list[str]:
        return self.page.eval_on_selector_all(selector, "els => els.map(e => e.textContent)")

    def press(self, key: str, times: int = 1) -> None:
        for _ in range(times):
            self.page.keyboard.press(key)

    def lit(self, kind: str) -> list[str]:
        """The parts of the picture lit as `kind` (current, op, edge, source), by key (`v2`, `o2`, `v0->o2`)."""
        return sorted(set(self.page.eval_on_selector_all(f".gc-{kind}", "els => els.map(e => e.dataset.k)")))

    def lines(self) -> tuple[list[str], list[str]]:
        """Every line shown in the forward and the backward list (go to the end first to see them all)."""
        return tuple(self.texts(f"#gc-{kind} li:not([hidden]) code") for kind in ("forward", "backward"))

    def numbers(self) -> dict[int, tuple[float, float | None]]:
        """Node -> (value, gradient or None), at full precision, from the table of every value."""
        rows = self.page.eval_on_selector_all(
            "#gc-table tbody tr",
            "rows => rows.map(r => [r.dataset.node, ...[...r.querySelectorAll('td.gc-number')].map(td => td.dataset.value)])",
        )
        return {int(i): (float(v), float(g) if g else None) for i, v, g in rows}


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium per test module."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright's Python package is not installed")
    executable = chromium()
    if executable is None:
        pytest.skip("no Chromium to test the page in: apt-get install chromium (or set GRADCLI_CHROMIUM)")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=ARGS)
        yield launched
        launched.close()


@pytest.fixture
def open_page(browser):
    """open_page(path) -> Opened: the file opened from file:// in a fresh context, 1280x900."""
    contexts = []

    def opener(path: Path) -> Opened:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        contexts.append(context)
        page = context.new_page()
        opened = Opened(page)
        page.on("console", lambda message: opened.console.append((message.type, message.text)))
        page.on("pageerror", lambda error: opened.errors.append(str(error)))
        page.on("request", lambda request: opened.requests.append(request.url))
        page.on("requestfailed", lambda request: opened.failed.append((request.url, request.failure)))
        page.goto(Path(path).resolve().as_uri())
        return opened

    yield opener
    for context in contexts:
        context.close()
