"""A headless Chromium driven through Selenium, from the distribution's packages only.

The browser is Debian's ``chromium`` and the driver Debian's ``chromium-driver``
(``scripts/install-browser-deps`` installs both); nothing is downloaded at test
time: Selenium Manager is told to stay offline and is never needed, because the
driver and the binary are given by path. A missing browser fails the test with
the command to run, it does not skip: a skipped end-to-end test is a silent gap.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
INSTALL_HINT = ("run `scripts/install-browser-deps` (as root) to install chromium and "
                "chromium-driver")

# Headless and quiet: without the background-networking flags Chromium keeps
# trying to reach Google's services, which on a closed network costs time.
CHROME_FLAGS = (
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--window-size=1600,1000",
)


def _browser_binaries() -> tuple[Path, Path]:
    """The chromium binary and chromedriver, or fail saying how to install them."""
    chromium = CHROMIUM if CHROMIUM.exists() else Path(shutil.which("chromium") or CHROMIUM)
    driver = CHROMEDRIVER if CHROMEDRIVER.exists() else Path(
        shutil.which("chromedriver") or CHROMEDRIVER)
    missing = [str(p) for p in (chromium, driver) if not p.exists()]
    if missing:
        pytest.fail(f"headless browser not installed ({', '.join(missing)} missing): "
                    f"{INSTALL_HINT}", pytrace=False)
    return chromium, driver


@pytest.fixture
def chrome(tmp_path_factory: pytest.TempPathFactory,
           monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A fresh headless Chromium (its own profile directory), quit after the test."""
    chromium, driver_path = _browser_binaries()
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.options import Options
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.fail("the Python package `selenium` is missing: install the dev extras "
                    "(`pip install -e .[dev]`)", pytrace=False)
    monkeypatch.setenv("SE_OFFLINE", "true")  # never let Selenium Manager download
    options = Options()
    options.binary_location = str(chromium)
    for flag in (*CHROME_FLAGS, f"--user-data-dir={tmp_path_factory.mktemp('chromium')}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "SEVERE"})
    driver = webdriver.Chrome(service=Service(str(driver_path)), options=options)
    try:
        yield driver
    finally:
        driver.quit()
