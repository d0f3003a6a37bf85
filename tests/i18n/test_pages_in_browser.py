"""The pages as people see them, in Debian's Chromium: a phone (390x844, also checked at 320 and
430 px wide) and a desktop (1280x800), in Chinese (the default) and in English.

Every page: no sideways scrolling (scrollWidth <= innerWidth) and, in Chinese, no English word
that is not data (a SKU, a user name, an id).  The checkout journey (photo -> cart -> corrections
-> pay -> receipt -> a new checkout) runs in both languages against the live server with the tiny
models and the fake WeChat; the back office is visited page by page.  Each step saves a
screenshot in test-artifacts/screenshots/ for a person to look at.
"""

from __future__ import annotations

import itertools
import re

import pytest
from django.urls import reverse
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec

from catalog.models import Product, Store
from gallery.models import GalleryWorker
from orders.models import Order
from tests.backoffice.browser import (
    DESKTOP,
    PHONE,
    PageWait,
    chromium,
    data_words,
    english_words,
    horizontal_overflow,
    needs_chromium,
    screenshot,
    seen_text,
    set_viewport,
    tap,
)
from tests.backoffice.conftest import PASSWORD, encode
from tests.recognition.conftest import scene

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),  # the live server's thread sees the data
    needs_chromium,
]
ACCEPT = {"zh-hans": "zh-CN,zh", "en": "en-US,en"}
PHONE_WIDTHS = (320, 390, 430)
# Words that are the same in Chinese retail: the SKU column, the CSV export.
NOT_ENGLISH = {"SKU", "CSV"}
# "状态: 已支付" reads as a typo in Chinese: after a Chinese character the colon, comma, semicolon,
# question and exclamation marks are full-width (Django's own catalogue keeps the form labels' ":").
HALF_WIDTH_AFTER_HAN = re.compile(r"[\u4e00-\u9fff][:,;?!]")


@pytest.fixture
def live(settings, shop, wechat, live_server):
    """The fake WeChat Pay notifies the live server; the gallery checks for changes on every search."""
    settings.WECHATPAY_NOTIFY_URL = f"{live_server.url}/api/v1/payments/wechat/notify"
    settings.WECHATPAY_REFUND_NOTIFY_URL = f"{live_server.url}/api/v1/payments/wechat/refund-notify"
    settings.GALLERY_MAINBODY_CROP = False
    settings.GALLERY_SYNC_INTERVAL_MS = 0
    settings.CHECKOUT_DEFAULT_STORE = shop["store"].code
    settings.CHECKOUT_FAKE_PAY_URL = wechat.base_url
    return live_server


def browser_for(language: str, viewport: tuple[int, int]):
    driver = chromium(*viewport, accept_language=ACCEPT[language])
    set_viewport(driver, *viewport)
    return driver


def data_in_the_shop() -> set[str]:
    """Words that are data, not interface: SKUs and names as typed by staff, codes, ids."""
    from django.contrib.auth import get_user_model

    words = set(NOT_ENGLISH)
    for product in Product.objects.all():
        words |= data_words(product.sku, product.name, product.barcode)
    for store in Store.objects.all():
        words |= data_words(store.code, store.name)
    for worker in GalleryWorker.objects.all():
        words |= data_words(worker.name, worker.model_version)
    for order in Order.objects.all():
        words |= data_words(str(order.pk), *[p.out_trade_no for p in order.payments.all()])
    words |= data_words(*get_user_model().objects.values_list("username", flat=True))
    return words


def check_page(driver, name: str, *, language: str, widths=(), allowed: set[str] = frozenset()) -> None:
    """No sideways scrolling (at the current width and each of ``widths``), no English in Chinese, a screenshot."""
    current = driver.execute_script("return [window.innerWidth, window.innerHeight]")
    for width in widths:
        set_viewport(driver, width, current[1])
        assert horizontal_overflow(driver) <= 0, f"{name}: {horizontal_overflow(driver)} px too wide at {width} px"
    if widths:
        set_viewport(driver, *current)
    assert horizontal_overflow(driver) <= 0, f"{name}: {horizontal_overflow(driver)} px too wide at {current[0]} px"
    if language == "zh-hans":
        assert driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "zh-hans"
        text = seen_text(driver)
        untranslated = english_words(text, data_in_the_shop() | set(allowed))
        assert not untranslated, f"{name}: untranslated words in the Chinese page: {untranslated}"
        half_width = sorted(set(HALF_WIDTH_AFTER_HAN.findall(text)))
        assert not half_width, f"{name}: ASCII punctuation after Chinese (write ：，；？！): {half_width}"
    screenshot(driver, f"{name}-{language}-{current[0]}x{current[1]}")


DOT_COLOURS = "const s = getComputedStyle(arguments[0]); return [s.color, s.backgroundColor];"


def wait(driver, seconds: float = 20) -> PageWait:
    """Every cart change re-renders the list and every switch reloads the page."""
    return PageWait(driver, seconds)


def in_view(driver, element) -> bool:
    return driver.execute_script(
        "const r = arguments[0].getBoundingClientRect(); return r.top >= 0 && r.bottom <= window.innerHeight;",
        element,
    )


# --- the checkout journey


TEXT = {
    "zh-hans": {
        "login": "微信登录",
        "paid": "支付成功",
        "each": "单价",
        "new": "开始新的结算",
        "no_product": "没有 SKU 为“NOPE-1”的在售商品。",
    },
    "en": {
        "login": "Log in with WeChat",
        "paid": "Paid",
        "each": "each",
        "new": "Start a new checkout",
        "no_product": "No product on sale with sku 'NOPE-1'.",
    },
}


@pytest.mark.parametrize(
    ("language", "viewport"), [("zh-hans", PHONE), ("en", DESKTOP)], ids=["zh-phone", "en-desktop"]
)
def test_checkout_journey(live, shop, tmp_path, language, viewport):
    words = TEXT[language]
    widths = PHONE_WIDTHS if viewport == PHONE else ()
    driver = browser_for(language, viewport)
    try:
        driver.get(f"{live.url}/checkout/")
        assert driver.find_element(By.ID, "login").text == words["login"]
        check_page(driver, "checkout-1-login", language=language, widths=widths)
        driver.find_element(By.ID, "login").click()
        wait(driver).until(ec.visibility_of_element_located((By.CSS_SELECTOR, "label[for=photo]")))
        check_page(driver, "checkout-2-photo", language=language, widths=widths)

        # A, B, C, A: two of the snack (or its big-pack lookalike: unsure), a tea, one unknown thing.
        basket = tmp_path / "basket.png"
        basket.write_bytes(encode(scene()))
        driver.find_element(By.ID, "photo").send_keys(str(basket))
        wait(driver, 60).until(ec.visibility_of_element_located((By.ID, "lines")))
        wait(driver).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#lines .line"))
        boxes = driver.find_elements(By.CSS_SELECTOR, "#photo-view .box")
        assert [b.text for b in boxes] == [str(n) for n in range(1, len(boxes) + 1)] and len(boxes) == 4
        lines = {row.get_attribute("data-sku"): row for row in driver.find_elements(By.CSS_SELECTOR, "#lines .line")}
        assert "TEA" in lines and words["each"] in lines["TEA"].text and "¥4.50" in lines["TEA"].text
        numbered = [t.text for row in lines.values() for t in row.find_elements(By.CSS_SELECTOR, ".top .numtag")]
        unknown = driver.find_elements(By.CSS_SELECTOR, "#unknown .line")
        numbered += [row.get_attribute("data-unknown") for row in unknown]
        assert sorted(numbered, key=int) == ["1", "2", "3", "4"]  # every box's number is on its line
        snack = lines.get("SNACK") or lines["SNACK-L"]
        asks = snack.find_elements(By.CSS_SELECTOR, ".ask")
        assert asks, "the lookalike snacks offer their alternatives on their boxes"
        offered = {b.get_attribute("data-sku") for b in asks[0].find_elements(By.CSS_SELECTOR, ".choices button")}
        assert {"SNACK", "SNACK-L"} <= offered
        assert len(unknown) == 1
        assert driver.find_element(By.ID, "total").text.startswith("¥")
        assert in_view(driver, driver.find_element(By.ID, "order"))  # the pay button is always on screen
        check_page(driver, "checkout-3-cart", language=language, widths=widths)

        # A code that is no product: the server's own refusal, in the page's language, on screen.
        driver.find_element(By.ID, "add-code").send_keys("NOPE-1")
        tap(driver, driver.find_element(By.ID, "add"))
        wait(driver).until(lambda d: d.find_element(By.ID, "error").text)
        error = driver.find_element(By.ID, "error")
        assert error.text == words["no_product"] and in_view(driver, error)
        check_page(driver, "checkout-3-refused", language=language, widths=widths)

        # That box is really the other pack: pick it on the box.
        box_id = asks[0].get_attribute("data-ask")
        other = "SNACK" if snack.get_attribute("data-sku") == "SNACK-L" else "SNACK-L"
        tap(driver, asks[0].find_element(By.CSS_SELECTOR, f'.choices button[data-sku="{other}"]'))
        wait(driver).until(
            lambda d: box_id
            in (d.find_element(By.CSS_SELECTOR, f'#lines .line[data-sku="{other}"]').get_attribute("data-boxes") or "")
        )
        # One more tea with the stepper.
        tea = driver.find_element(By.CSS_SELECTOR, '#lines .line[data-sku="TEA"]')
        tap(driver, tea.find_elements(By.CSS_SELECTOR, ".stepper-qty button")[1])
        wait(driver).until(
            ec.text_to_be_present_in_element((By.CSS_SELECTOR, '#lines .line[data-sku="TEA"] .qty'), "2")
        )
        assert "¥9.00" in driver.find_element(By.CSS_SELECTOR, '#lines .line[data-sku="TEA"] .subtotal').text
        # The unknown item is a cola: pick the product by its SKU.
        tap(driver, driver.find_element(By.CSS_SELECTOR, "#unknown .pick-product"))
        driver.find_element(By.CSS_SELECTOR, "#unknown .pick input").send_keys("COLA")
        tap(driver, driver.find_element(By.CSS_SELECTOR, "#unknown .pick .row button"))
        wait(driver).until(lambda d: d.find_elements(By.CSS_SELECTOR, '#lines .line[data-sku="COLA"]'))
        assert driver.find_element(By.ID, "unknown-card").is_displayed() is False
        check_page(driver, "checkout-4-corrected", language=language, widths=widths)

        recognition_total = driver.find_element(By.ID, "total").text
        driver.find_element(By.ID, "order").click()
        wait(driver).until(ec.element_to_be_clickable((By.ID, "fake-pay")))
        check_page(driver, "checkout-5-pay", language=language, widths=widths)
        driver.find_element(By.ID, "fake-pay").click()
        wait(driver, 30).until(ec.visibility_of_element_located((By.ID, "receipt-section")))
        order = Order.objects.get(lines__sku="COLA", status=Order.Status.PAID, recognition__isnull=False)
        assert driver.find_element(By.ID, "receipt-number").text == str(order.pk)[:8].upper()
        assert driver.find_element(By.ID, "receipt-time").text
        assert driver.find_element(By.ID, "receipt-total").text == recognition_total == f"¥{order.total_fen / 100:.2f}"
        assert words["paid"] in driver.find_element(By.CSS_SELECTOR, "#receipt-section h1").text
        check_page(driver, "checkout-6-receipt", language=language, widths=widths)
        # The last step, done, is drawn as the done steps before it (not green on green).
        last, first = (
            driver.find_element(By.CSS_SELECTOR, f"#stepper li{which} .dot") for which in ("[aria-current]", "")
        )
        assert driver.execute_script(DOT_COLOURS, last) == driver.execute_script(DOT_COLOURS, first)

        new = driver.find_element(By.ID, "new-checkout")
        assert new.text == words["new"]
        new.click()
        wait(driver).until(ec.visibility_of_element_located((By.CSS_SELECTOR, "label[for=photo]")))
        assert driver.find_element(By.CSS_SELECTOR, '#stepper li[aria-current="step"]').get_attribute("data-step") == (
            "photo"
        )
    finally:
        driver.quit()


def test_language_switch_keeps_the_checkout(live, shop, tmp_path):
    """Switching language mid-checkout reloads the page in the other language with the same cart."""
    driver = browser_for("zh-hans", PHONE)
    try:
        driver.get(f"{live.url}/checkout/")
        driver.find_element(By.ID, "login").click()
        basket = tmp_path / "basket.png"
        basket.write_bytes(encode(scene()))
        wait(driver).until(ec.visibility_of_element_located((By.CSS_SELECTOR, "label[for=photo]")))
        driver.find_element(By.ID, "photo").send_keys(str(basket))
        wait(driver, 60).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#lines .line"))
        total = driver.find_element(By.ID, "total").text
        driver.find_element(By.CSS_SELECTOR, '.language-switch button[value="en"]').click()
        wait(driver).until(lambda d: d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en")
        wait(driver).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#lines .line"))
        assert driver.find_element(By.ID, "order").text == "Order and pay"
        assert driver.find_element(By.ID, "total").text == total
        assert "each" in driver.find_element(By.CSS_SELECTOR, "#lines .line").text
        screenshot(driver, "checkout-switched-to-en-390x844")
    finally:
        driver.quit()


# --- the back office, page by page


def back_office_pages(shop) -> list[tuple[str, str]]:
    product = shop["products"]["SNACK"]
    return [
        ("dashboard", reverse("backoffice:dashboard")),
        ("products", reverse("backoffice:products")),
        ("products-sorted", reverse("backoffice:products") + "?sort=-price"),
        ("product", reverse("backoffice:product", args=[product.pk])),
        ("product-new", reverse("backoffice:product-new")),
        ("orders", reverse("backoffice:orders")),
        ("order", reverse("backoffice:order", args=[shop["orders"][0].pk])),
        ("review", reverse("backoffice:review")),
        ("review-item", reverse("backoffice:review-item", args=[shop["review"].pk])),
        ("gallery", reverse("backoffice:gallery")),
        ("audit", reverse("backoffice:audit")),
        ("staff", reverse("backoffice:staff")),
        ("reconciliation", reverse("backoffice:reconciliation")),
        ("reconciliation-day", reverse("backoffice:reconciliation-day", args=[shop["reconciliation"].day.isoformat()])),
    ]


def sign_in(driver, live, username: str = "owner") -> None:
    driver.get(f"{live.url}/backoffice/")
    driver.find_element(By.NAME, "username").send_keys(username)
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "button[type=submit].primary").click()
    wait(driver, 10).until(ec.presence_of_element_located((By.CSS_SELECTOR, ".stats")))


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_back_office_pages_in_chinese(live, shop, viewport):
    driver = browser_for("zh-hans", viewport)
    try:
        driver.get(f"{live.url}/")
        check_page(driver, "home", language="zh-hans")
        driver.get(f"{live.url}/no-such-page/")
        assert driver.find_element(By.TAG_NAME, "h1").text == "页面不存在"
        check_page(driver, "not-found", language="zh-hans")
        driver.get(f"{live.url}/backoffice/")
        check_page(driver, "backoffice-login", language="zh-hans")
        sign_in(driver, live)
        nav = driver.find_elements(By.CSS_SELECTOR, ".nav a")
        assert len(nav) == 8 and all(a.is_displayed() and in_view(driver, a) for a in nav)  # none off-screen
        for name, path in back_office_pages(shop):
            driver.get(live.url + path)
            assert driver.find_elements(By.TAG_NAME, "h1"), name
            check_page(driver, f"backoffice-{name}", language="zh-hans")
    finally:
        driver.quit()


CHART_TEXT = """return [...document.querySelectorAll('svg.chart')].map(svg => {
  const box = svg.getBoundingClientRect();
  return [...svg.querySelectorAll('text.tick, text.xlabel')].map(t => {
    const r = t.getBoundingClientRect();
    return {kind: t.getAttribute('class'), text: t.textContent, left: r.left - box.left, right: r.right - box.left,
            height: r.height, width: box.width};
  });
});"""


@pytest.mark.parametrize(
    ("viewport", "smallest", "largest"), [(PHONE, 12, 20), (DESKTOP, 12, 24)], ids=["phone", "desktop"]
)
def test_dashboard_charts_read_on_a_phone_and_a_desktop(live, shop, viewport, smallest, largest):
    """Each chart scales to its card; its axis labels must still read as text (line boxes of
    12 to 20 px on a phone, not 6; at most 24 on a desktop, not 30), inside the chart and apart."""
    driver = browser_for("zh-hans", viewport)
    try:
        sign_in(driver, live)
        charts = driver.execute_script(CHART_TEXT)
        assert len(charts) == 3
        for labels in charts:
            assert labels and all(smallest <= label["height"] <= largest for label in labels), labels
            assert all(label["left"] >= 0 and label["right"] <= label["width"] for label in labels), labels
            xlabels = sorted((label for label in labels if label["kind"] == "xlabel"), key=lambda label: label["left"])
            assert all(a["right"] <= b["left"] for a, b in itertools.pairwise(xlabels)), xlabels
    finally:
        driver.quit()


def test_back_office_in_english_by_the_switch(live, shop):
    """The browser asks for Chinese; the switch turns the back office to English and it stays so."""
    driver = browser_for("zh-hans", DESKTOP)
    try:
        sign_in(driver, live)
        assert driver.find_element(By.CSS_SELECTOR, "h1").text == "概览"
        driver.find_element(By.CSS_SELECTOR, '.language-switch button[value="en"]').click()
        wait(driver).until(ec.text_to_be_present_in_element((By.CSS_SELECTOR, "h1"), "Dashboard"))
        driver.get(live.url + reverse("backoffice:products"))
        assert driver.find_element(By.CSS_SELECTOR, "h1").text == "Products"
        check_page(driver, "backoffice-products", language="en")
    finally:
        driver.quit()
