"""Fixtures of the report tests that drive chromium: the browser, pages opened offline, the sample report.

Set-up once for every browser test module (test_report_browser.py, test_report_numbers_browser.py,
test_impact_explorer_browser.py, test_report_first_screen.py): Debian's chromium
(``executable_path=/usr/bin/chromium``) under Playwright, each page in a context of its own with every
request other than ``file:`` aborted (:class:`report_support.OfflinePage`). Without chromium or
Playwright the tests that ask for ``browser`` skip with the reason.

The browser test modules import these fixtures by name (``from browser_fixtures import browser, ...``).
This is not a ``conftest.py``: a second module named ``conftest`` would shadow tests/conftest.py, whose
names other test modules import with ``from conftest import ...``.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from report_support import BROWSER_ARGS, CHROMIUM, VIEWPORT, OfflinePage, sample_report


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless chromium under Playwright, one per test module (skips without chromium or Playwright)."""
    exe = str(CHROMIUM) if CHROMIUM.is_file() else shutil.which("chromium")
    if not exe:
        pytest.skip("chromium not installed (apt-get install -y chromium); browser tests skipped")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright (python) not installed; pip install -e '.[dev]'")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=exe, args=list(BROWSER_ARGS), headless=True)
        yield b
        b.close()


@pytest.fixture
def open_page(browser: Any) -> Iterator[Callable[..., OfflinePage]]:
    """``open_page(path, viewport=VIEWPORT, wait_ms=300)`` → an :class:`OfflinePage`, closed after the test."""
    opened: list[OfflinePage] = []

    def open_(path: Path, *, viewport: Mapping[str, int] = VIEWPORT, wait_ms: int = 300) -> OfflinePage:
        page = OfflinePage(browser, path, viewport=viewport, wait_ms=wait_ms)
        opened.append(page)
        return page

    yield open_
    for page in opened:
        page.close()


@pytest.fixture(scope="session")
def report() -> Any:
    """The real notebooks run on data/sample, once per session (skips when data/sample is absent)."""
    result = sample_report()
    if result is None:
        pytest.skip("data/sample has not been generated")
    return result
