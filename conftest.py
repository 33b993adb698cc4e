"""Fixtures shared by every test folder (at the top, so that tests/ itself never lands on
sys.path, where tests/optimize and tests/forecast would shadow the real packages)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from reports.pdf import CHROMIUM_FLAGS

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """One headless Chromium for the whole session, driven by playwright's sync API.

    Playwright's sync API runs an event loop for as long as it is open, so a second
    ``sync_playwright()`` in the same process fails: every browser test shares this one.
    """
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"{CHROMIUM} is missing: apt-get install -y --no-install-recommends chromium "
            "chromium-driver"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=list(CHROMIUM_FLAGS))
        try:
            yield chromium
        finally:
            chromium.close()
