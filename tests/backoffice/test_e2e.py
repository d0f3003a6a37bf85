"""End to end in real headless Chromium against a live server.

A manager signs in to the back office, adds a product with a photo and sees it indexed; a
customer photographs a basket holding it on the web checkout page (/checkout/), orders and
pays (fake WeChat); the manager finds the order and refunds it.  Tiny Paddle models stand in
for PP-ShiTuV2 and tasks run in-process, as in the embedded default.
"""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec

from catalog.models import Product
from gallery.models import GalleryEmbedding
from orders.models import Order, Refund
from tests.backoffice.browser import PageWait, chromium, needs_chromium
from tests.backoffice.conftest import PASSWORD, encode, pattern
from tests.recognition.conftest import ITEM_A, scene

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),  # the live server's thread sees the data
    needs_chromium,
]


@pytest.fixture
def browser():
    driver = chromium()
    yield driver
    driver.quit()


@pytest.fixture
def live_settings(settings, engine_settings, eager_tasks, wechat, shop, live_server):
    """The tiny detector boxes fixed places: reference photos are embedded whole (no mainbody
    crop), and the live gallery checks for changes on every search.  The fake WeChat Pay
    sends its signed notifications to the live server."""
    settings.WECHATPAY_NOTIFY_URL = f"{live_server.url}/api/v1/payments/wechat/notify"
    settings.WECHATPAY_REFUND_NOTIFY_URL = f"{live_server.url}/api/v1/payments/wechat/refund-notify"
    settings.GALLERY_MAINBODY_CROP = False
    settings.GALLERY_SYNC_INTERVAL_MS = 0
    settings.CHECKOUT_DEFAULT_STORE = shop.code
    settings.CHECKOUT_FAKE_PAY_URL = wechat.base_url
    return settings


def wait(browser, seconds: float = 20) -> PageWait:
    return PageWait(browser, seconds)


def sign_in(browser, live_server, username: str) -> None:
    browser.get(f"{live_server.url}/backoffice/")
    browser.find_element(By.NAME, "username").send_keys(username)
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "button[type=submit].primary").click()
    wait(browser, 10).until(ec.presence_of_element_located((By.CSS_SELECTOR, ".stats")))


def add_product_with_photo(browser, tmp_path) -> Product:
    browser.find_element(By.LINK_TEXT, "Products").click()
    browser.find_element(By.LINK_TEXT, "Add product").click()
    photo = tmp_path / "snack.png"
    photo.write_bytes(encode(pattern(ITEM_A)))
    browser.find_element(By.NAME, "sku").send_keys("SNACK9")
    browser.find_element(By.NAME, "name").send_keys("Seaweed snack")
    browser.find_element(By.NAME, "price").send_keys("6.80")
    browser.find_element(By.NAME, "stock").clear()
    browser.find_element(By.NAME, "stock").send_keys("12")
    browser.find_element(By.NAME, "photo").send_keys(str(photo))
    browser.find_element(By.CSS_SELECTOR, "form button.primary").click()
    status = wait(browser).until(ec.presence_of_element_located((By.CSS_SELECTOR, ".photo[data-status] .badge")))
    assert status.text == "indexed"
    assert "Photo added" in browser.find_element(By.CSS_SELECTOR, ".messages").text
    return Product.objects.get(sku="SNACK9")


def test_new_product_is_recognised_at_checkout_paid_and_refunded(
    browser, live_server, staff, live_settings, wechat, tmp_path
):
    sign_in(browser, live_server, "manager")
    assert browser.find_element(By.CSS_SELECTOR, "h1").text == "Dashboard"
    product = add_product_with_photo(browser, tmp_path)
    assert (product.price_fen, product.stock) == (680, 12)
    assert GalleryEmbedding.objects.get(image__product=product).status == "indexed"
    browser.find_element(By.LINK_TEXT, "Gallery").click()
    assert browser.find_element(By.CSS_SELECTOR, '[data-stat="indexed"]').text == "1"

    # A customer photographs a basket with two of them (and two things the gallery lacks).
    basket = tmp_path / "basket.png"
    basket.write_bytes(encode(scene()))
    browser.get(f"{live_server.url}/checkout/")
    browser.find_element(By.ID, "login").click()
    wait(browser).until(ec.visibility_of_element_located((By.ID, "photo")))
    browser.find_element(By.ID, "photo").send_keys(str(basket))
    wait(browser, 60).until(ec.text_to_be_present_in_element((By.ID, "lines"), "Seaweed snack"))
    assert browser.find_element(By.ID, "total").text == "¥13.60"
    assert len(browser.find_elements(By.CSS_SELECTOR, "#photo-view .box.unknown")) == 2
    browser.find_element(By.ID, "order").click()
    wait(browser).until(ec.element_to_be_clickable((By.ID, "fake-pay"))).click()
    wait(browser, 30).until(ec.text_to_be_present_in_element((By.ID, "receipt-section"), "Paid"))
    order = Order.objects.get(lines__sku="SNACK9")
    assert (order.status, order.total_fen) == (Order.Status.PAID, 1360)

    # Back office: the order is there, with its receipt; refund it in full.
    browser.get(f"{live_server.url}/backoffice/orders/?q=SNACK9")
    browser.find_element(By.LINK_TEXT, str(order.pk)[:8]).click()
    assert browser.find_element(By.CSS_SELECTOR, "[data-total]").text == "¥13.60"
    amount = browser.find_element(By.NAME, "amount")
    amount.clear()
    amount.send_keys("13.60")
    browser.find_element(By.NAME, "reason").send_keys("customer returned the basket")
    browser.find_element(By.CSS_SELECTOR, "#refund-form button").click()
    browser.switch_to.alert.accept()
    wait(browser, 15).until(ec.text_to_be_present_in_element((By.CSS_SELECTOR, ".messages"), "Refund of ¥13.60"))
    refund = Refund.objects.get(order=order)
    assert refund.amount_fen == 1360
    assert wechat.settle_refund(refund.out_refund_no) in (200, 204)  # WeChat Pay settles it and notifies us
    browser.refresh()
    assert browser.find_element(By.ID, "order-status").text == "Refunded"
    assert Order.objects.get(pk=order.pk).refunded_fen == 1360


def test_price_edit_in_the_browser_lands_in_the_history(browser, live_server, staff, products):
    cola = products["COLA"]
    sign_in(browser, live_server, "manager")
    browser.get(f"{live_server.url}/backoffice/products/{cola.pk}/")
    price = browser.find_element(By.NAME, "price")
    price.clear()
    price.send_keys("3.80")
    browser.find_element(By.CSS_SELECTOR, "#edit-product button").click()
    wait(browser, 10).until(ec.text_to_be_present_in_element((By.CSS_SELECTOR, ".messages"), "Saved COLA"))
    history = browser.find_element(By.CSS_SELECTOR, ".card.wide table").text
    assert "¥3.50" in history and "¥3.80" in history and "manager" in history
    cola.refresh_from_db()
    assert cola.price_fen == 380
