"""Headless Debian chromium through Selenium for the desk's tests (options as in FIELD-NOTES.md);
missing chromium is a skip, or a failure under HYBRID_REQUIRE_BROWSER=1 (CI)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
CHROMEDRIVER = shutil.which("chromedriver") or ("/usr/bin/chromedriver" if Path("/usr/bin/chromedriver").exists() else None)


def need_browser() -> tuple[str, str]:
    missing = [name for name, path in (("chromium", CHROMIUM), ("chromium-driver", CHROMEDRIVER)) if path is None]
    if missing:
        text = f"{' and '.join(missing)} not installed (apt-get install chromium chromium-driver)"
        if os.environ.get("HYBRID_REQUIRE_BROWSER") == "1":
            pytest.fail(f"HYBRID_REQUIRE_BROWSER=1 but {text}")
        pytest.skip(f"{text}; set HYBRID_REQUIRE_BROWSER=1 to fail instead")
    return CHROMIUM, CHROMEDRIVER  # type: ignore[return-value]


def start_browser(profile: Path, width: int = 1600, height: int = 1100) -> Any:
    """A headless chromium with Web Audio allowed to start without a gesture and its console logged."""
    chromium, chromedriver = need_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--autoplay-policy=no-user-gesture-required",
                 "--disable-dev-shm-usage", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-extensions",
                 f"--window-size={width},{height}", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(chromedriver))
    driver.set_page_load_timeout(60)
    return driver


def console_errors(driver: Any) -> list[str]:
    """Everything the page logged at SEVERE since the last call (errors, failed loads, exceptions)."""
    return [entry["message"] for entry in driver.get_log("browser") if entry.get("level") == "SEVERE"]


def wait_for(driver: Any, script: str, timeout_s: float = 30.0, *args: Any) -> Any:
    """Poll a JavaScript expression (`return ...`) until it is truthy; its value."""
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout_s, poll_frequency=0.05).until(lambda d: d.execute_script(script, *args))
