"""Debian's headless Chromium driven by Selenium through Debian's chromedriver (no downloads).

Also what the page tests look at: the viewport (a phone is emulated as Chrome's device mode does),
horizontal overflow, the text a person sees, and full-page screenshots under test-artifacts/.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
# CI sets SC_REQUIRE_BROWSER so a missing browser fails instead of skipping.
needs_chromium = pytest.mark.skipif(
    not os.environ.get("SC_REQUIRE_BROWSER") and not (shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)),
    reason="needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)",
)
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PHONE, DESKTOP = (390, 844), (1280, 800)


def chromium(width: int = 1280, height: int = 900, accept_language: str | None = None) -> webdriver.Chrome:
    """A browser; ``accept_language`` ("zh-CN,zh", "en-US,en") is what it asks servers for."""
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in [*ARGS, f"--window-size={width},{height}"]:
        options.add_argument(arg)
    env = dict(os.environ)
    if accept_language:
        first = accept_language.split(",")[0]
        options.add_argument(f"--lang={first}")
        options.add_experimental_option("prefs", {"intl.accept_languages": accept_language})
        # The browser's own words (a file input's "Choose File") follow LANGUAGE on Linux, not
        # --lang; Debian ships them in chromium-l10n (.ci/run installs it).
        env["LANGUAGE"] = first.replace("-", "_")
    return webdriver.Chrome(service=Service(CHROMEDRIVER, env=env), options=options)


def set_viewport(driver: webdriver.Chrome, width: int, height: int) -> None:
    """Emulate a phone below 600 px (mobile viewport, touch) and a desktop window above."""
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 2 if width < 600 else 1, "mobile": width < 600},
    )


def tap(driver: webdriver.Chrome, element) -> None:
    """Scroll the element to the middle of the screen, as a person would (the pay bar covers the bottom), and tap."""
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    element.click()


def horizontal_overflow(driver: webdriver.Chrome) -> int:
    """How many CSS pixels the page is wider than its viewport (0: no sideways scrolling)."""
    return driver.execute_script(
        "return Math.max(document.documentElement.scrollWidth, document.body.scrollWidth) - window.innerWidth"
    )


def has_chinese_font() -> bool:
    """Whether fontconfig knows a font with Chinese glyphs (without one, Chinese shows as boxes)."""
    if not shutil.which("fc-list"):
        return False
    return bool(subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True).stdout.strip())


def screenshot(driver: webdriver.Chrome, name: str) -> Path:
    """The whole page as a PNG under test-artifacts/screenshots/, for a person to look at.

    Where CI requires the browser it also requires a Chinese font: a screenshot of boxes where
    the Chinese should be is no use to the person looking at it."""
    if os.environ.get("SC_REQUIRE_BROWSER") and not has_chinese_font():
        pytest.fail("no font with Chinese glyphs: apt-get install fonts-noto-cjk")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    # A viewport as tall as the page, so what sticks to the bottom of the screen is drawn at the bottom.
    width, height, full = driver.execute_script(
        "return [innerWidth, innerHeight, Math.max(document.documentElement.scrollHeight, document.body.scrollHeight)]"
    )
    set_viewport(driver, width, max(height, full))
    try:
        shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png"})
    finally:
        set_viewport(driver, width, height)
    path = ARTIFACTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', name)}.png"
    path.write_bytes(base64.b64decode(shot["data"]))
    return path


_SEEN_TEXT = """
const pageLang = document.documentElement.lang;
// A word in another language on purpose ("English" on the language switch) is marked with lang="...".
const foreign = (el) => (el.closest("[lang]") || document.documentElement).lang !== pageLang;
const shown = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden";
const parts = [document.title];
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
for (let node = walker.nextNode(); node; node = walker.nextNode()) {
  const el = node.parentElement;
  if (!el || ["SCRIPT", "STYLE", "TEMPLATE"].includes(el.tagName) || foreign(el)) continue;
  if (el.tagName === "OPTION" || el.closest("svg") || shown(el)) parts.push(node.textContent);
}
for (const el of document.querySelectorAll("[placeholder], [title], [aria-label], img[alt], input[type=submit]")) {
  if (foreign(el) || !(shown(el) || el.closest("#photo-view, svg"))) continue;
  for (const name of ["placeholder", "title", "aria-label", "alt", "value"]) {
    if (el.getAttribute(name) && (name !== "value" || el.type === "submit")) parts.push(el.getAttribute(name));
  }
}
return parts.join("\\n");
"""


def seen_text(driver: webdriver.Chrome) -> str:
    """What a person reads on the page: visible text, the title, placeholders, tooltips, labels, options."""
    return driver.execute_script(_SEEN_TEXT)


def english_words(text: str, allowed: set[str]) -> list[str]:
    """Latin-letter words in ``text`` that are not data (``allowed``: SKUs, names, codes, ids)."""
    allowed = {word.lower() for word in allowed}
    words = re.findall(r"(?<![\w.@/-])[A-Za-z][A-Za-z'’]+(?![\w@/-])", text)
    return sorted({w for w in words if w.lower() not in allowed})


def data_words(*values: str) -> set[str]:
    """Every word of some data strings (product names, SKUs, user names...), for english_words."""
    return {w for value in values for w in re.findall(r"[A-Za-z][A-Za-z'’]+", str(value or ""))}


class PageWait(WebDriverWait):
    """WebDriverWait that keeps polling while the page re-renders or navigates: an element found a
    moment ago may be gone (stale), and Chromium reports one of the page being left as "unknown
    error: ... Node with given id does not belong to the document", not as stale."""

    def __init__(self, driver: webdriver.Chrome, seconds: float = 20) -> None:
        super().__init__(driver, seconds, ignored_exceptions=[NoSuchElementException, StaleElementReferenceException])

    def until(self, method, message: str = ""):
        def polled(driver):
            try:
                return method(driver)
            except WebDriverException as exc:
                if "does not belong to the document" not in (exc.msg or ""):
                    raise
                return False

        return super().until(polled, message)
