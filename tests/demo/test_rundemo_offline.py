"""rundemo on a machine without internet: every download failure is one line naming the URL and
the setting or flag that points to a local copy; and the README's offline form (the stand-in
models and catalog of ../shared) serves checkout photos one after another, through the API and on
``/checkout/`` in a phone-sized Chromium: five whole checkouts in a row, each photographed,
corrected, paid at the development fake and ended with a receipt."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from recognition.engine import model_store
from tests.backoffice.browser import (
    PHONE,
    chromium,
    horizontal_overflow,
    needs_chromium,
    screenshot,
    set_viewport,
    tap,
)
from tests.demo.test_rundemo_server import ROOT, DemoProcess, clean_env, free_port, wait_until_serving
from tests.recognition.conftest import models  # noqa: F401 - fixture

pytestmark = pytest.mark.slow
UNREACHABLE = "http://127.0.0.1:9"  # nothing listens: connection refused, as with no network
SHARED = next((p for p in (ROOT.parent / "shared", Path("/work/shared")) if (p / "models").is_dir()), None)


def rundemo(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "rundemo", "--no-serve", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_models_unreachable_is_one_line_naming_the_url_and_the_settings(tmp_path):
    result = rundemo(clean_env(SC_VAR_DIR=str(tmp_path / "var"), SHITU_MODEL_BASE_URL=UNREACHABLE))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout
    (line,) = result.stderr.strip().splitlines()
    url = model_store.REGISTRY["detector"].url(UNREACHABLE)
    assert line.startswith(f"CommandError: detector: {url}: download failed: connection refused; ")
    assert "SHITU_MODEL_CACHE" in line and "SHITU_MODEL_BASE_URL" in line


def test_demo_gallery_unreachable_names_the_url_and_the_catalog_flag(tmp_path, models):  # noqa: F811
    env = clean_env(
        SC_VAR_DIR=str(tmp_path / "var"),
        SHITU_MODEL_BASE_URL=UNREACHABLE,
        SHITU_DET_MODEL_DIR=str(models["det_legacy"]),
        SHITU_REC_MODEL_DIR=str(models["rec_legacy"]),
    )
    result = rundemo(env)
    assert result.returncode == 1 and "Traceback" not in result.stderr + result.stdout
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"CommandError: demo gallery: {model_store.DEMO_GALLERY.url(UNREACHABLE)}: download failed")
    assert "--catalog DIR" in line and "--paddleclas-gallery DIR" in line


@pytest.mark.skipif(SHARED is None, reason="needs ../shared (stand-in models and the retail catalog)")
@needs_chromium
def test_readme_offline_form_serves_photo_after_photo(tmp_path):
    """``SHITU_MODEL_CACHE=../shared/models python manage.py rundemo --catalog ../shared/datasets/retail_catalog``
    with the real network structures (random weights) and oneDNN: three photos, three carts by the
    API; then five checkouts in a row on the phone page."""
    port = free_port()
    env = clean_env(SC_VAR_DIR=str(tmp_path / "var"), SHITU_MODEL_CACHE=str(SHARED / "models"))
    catalog = SHARED / "datasets" / "retail_catalog"
    demo = DemoProcess(["--catalog", str(catalog), "--addrport", f"127.0.0.1:{port}"], env)
    try:
        demo.wait_for(r"DEVELOPMENT ONLY: fake WeChat")
        base = f"http://127.0.0.1:{port}"
        wait_until_serving(base, demo)
        assert "Traceback" not in demo.output
        http = requests.Session()
        login = http.post(f"{base}/api/v1/auth/wechat/login", json={"code": "offline-1"}, timeout=10)
        assert login.status_code == 200, login.text
        http.headers["Authorization"] = f"Bearer {login.json()['access']}"
        for name in ("0001.jpg", "0002.jpg", "0003.jpg"):
            photo = (catalog / "images" / name).read_bytes()
            answer = http.post(f"{base}/api/v1/checkout/recognize", files={"image": (name, photo)}, timeout=120)
            assert answer.status_code == 200, (name, answer.text)
            cart = answer.json()
            assert cart["status"] == "done" and "lines" in cart and "unknown" in cart
            assert cart["lines"] or cart["unknown"]  # the random-weight detector always finds boxes
        checkout_five_times_on_a_phone(base, catalog, demo)
        assert "Traceback" not in demo.output
    finally:
        demo.stop()


def checkout_five_times_on_a_phone(base: str, catalog: Path, demo: DemoProcess) -> None:
    """A shopper on a phone: log in once, then photograph, correct, pay and get a receipt, five
    times, each started from the receipt's "new checkout" button.  The stand-in models have random
    weights, so what a photo becomes is not known in advance: every unknown item is either picked
    as the photographed product (by its SKU) or removed, and a recognised line gets one more."""
    driver = chromium(*PHONE, accept_language="zh-CN,zh")
    set_viewport(driver, *PHONE)
    wait = WebDriverWait(driver, 60, ignored_exceptions=[Exception])
    try:
        driver.get(f"{base}/checkout/")
        driver.find_element(By.ID, "login").click()
        wait.until(ec.visibility_of_element_located((By.CSS_SELECTOR, "label[for=photo]")))
        receipts = set()
        for n in range(1, 6):
            sku, photo = f"SC000{n}", catalog / "images" / f"000{n}.jpg"
            driver.find_element(By.ID, "photo").send_keys(str(photo))
            wait.until(lambda d: any(e.is_displayed() for e in d.find_elements(By.CSS_SELECTOR, ".line")))
            assert not driver.find_element(By.ID, "error").text, demo.output[-2000:]
            correct_the_cart(driver, wait, sku)
            total = driver.find_element(By.ID, "total").text
            assert total.startswith("¥") and total != "¥0.00"
            assert horizontal_overflow(driver) <= 0
            screenshot(driver, f"demo-phone-checkout-{n}-cart")
            tap(driver, driver.find_element(By.ID, "order"))
            wait.until(ec.element_to_be_clickable((By.ID, "fake-pay"))).click()
            wait.until(ec.visibility_of_element_located((By.ID, "receipt-section")))
            assert "支付成功" in driver.find_element(By.CSS_SELECTOR, "#receipt-section h1").text
            assert driver.find_element(By.ID, "receipt-total").text == total
            receipts.add(driver.find_element(By.ID, "receipt-number").text)
            screenshot(driver, f"demo-phone-checkout-{n}-receipt")
            tap(driver, driver.find_element(By.ID, "new-checkout"))
            wait.until(ec.visibility_of_element_located((By.CSS_SELECTOR, "label[for=photo]")))
        assert len(receipts) == 5  # five orders, each with its own number
    finally:
        driver.quit()


def correct_the_cart(driver, wait: WebDriverWait, sku: str) -> None:
    """Pick the first unknown item as ``sku``, remove the others, add one to the first line."""
    picked = False
    while unknown := driver.find_elements(By.CSS_SELECTOR, "#unknown .line"):
        count = len(unknown)
        if not picked:
            tap(driver, unknown[0].find_element(By.CSS_SELECTOR, ".pick-product"))
            unknown[0].find_element(By.CSS_SELECTOR, ".pick input").send_keys(sku)
            tap(driver, unknown[0].find_element(By.CSS_SELECTOR, ".pick .row button"))
            picked = True
        else:
            tap(driver, unknown[0].find_element(By.CSS_SELECTOR, ".remove"))
        wait.until(lambda d, c=count: len(d.find_elements(By.CSS_SELECTOR, "#unknown .line")) < c)
    line = f'#lines .line[data-sku="{sku}"]' if picked else "#lines .line"
    quantity = wait.until(lambda d: int(d.find_element(By.CSS_SELECTOR, f"{line} .qty").get_attribute("textContent")))
    tap(driver, driver.find_elements(By.CSS_SELECTOR, f"{line} .stepper-qty button")[1])
    wait.until(
        lambda d: d.find_element(By.CSS_SELECTOR, f"{line} .qty").get_attribute("textContent") == str(quantity + 1)
    )
