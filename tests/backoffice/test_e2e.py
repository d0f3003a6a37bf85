"""End to end in real headless Chromium against a live server: a manager signs in, adds a
product with a photo, sees it indexed, and refunds an order."""

from __future__ import annotations

import shutil

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from catalog.models import Product
from gallery.models import GalleryEmbedding
from orders.models import Order, Refund
from orders.services import LineRequest, create_order
from payments import services as payment_services
from tests.backoffice.browser import CHROMEDRIVER, CHROMIUM, chromium
from tests.backoffice.conftest import PASSWORD, encode, pattern

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),  # keeps the role groups
    pytest.mark.skipif(
        not (shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)),
        reason="needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)",
    ),
]


@pytest.fixture
def browser():
    driver = chromium()
    yield driver
    driver.quit()


def sign_in(browser, live_server, username: str) -> None:
    browser.get(f"{live_server.url}/backoffice/")
    browser.find_element(By.NAME, "username").send_keys(username)
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "button[type=submit].primary").click()
    WebDriverWait(browser, 10).until(ec.presence_of_element_located((By.CSS_SELECTOR, ".stats")))


def test_manager_adds_a_product_with_a_photo_and_sees_it_indexed(
    browser, live_server, staff, shop, engine_settings, eager_tasks, tmp_path
):
    sign_in(browser, live_server, "manager")
    assert browser.find_element(By.CSS_SELECTOR, "h1").text == "Dashboard"

    browser.find_element(By.LINK_TEXT, "Products").click()
    browser.find_element(By.LINK_TEXT, "Add product").click()
    photo = tmp_path / "snack.png"
    photo.write_bytes(encode(pattern(91)))
    browser.find_element(By.NAME, "sku").send_keys("SNACK9")
    browser.find_element(By.NAME, "name").send_keys("Seaweed snack")
    browser.find_element(By.NAME, "price").send_keys("6.80")
    browser.find_element(By.NAME, "stock").clear()
    browser.find_element(By.NAME, "stock").send_keys("12")
    browser.find_element(By.NAME, "photo").send_keys(str(photo))
    browser.find_element(By.CSS_SELECTOR, "form button.primary").click()

    status = WebDriverWait(browser, 30).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, ".photo[data-status] .badge"))
    )
    assert status.text == "indexed"
    assert "Photo added" in browser.find_element(By.CSS_SELECTOR, ".messages").text
    product = Product.objects.get(sku="SNACK9")
    assert product.price_fen == 680 and product.stock == 12
    assert GalleryEmbedding.objects.get(image__product=product).status == "indexed"

    # The new price is edited in place and lands in the price history.
    price = browser.find_element(By.NAME, "price")
    price.clear()
    price.send_keys("7.20")
    browser.find_element(By.CSS_SELECTOR, "#edit-product button").click()
    WebDriverWait(browser, 10).until(ec.text_to_be_present_in_element((By.CSS_SELECTOR, ".messages"), "Saved SNACK9"))
    assert "¥7.20" in browser.find_element(By.CSS_SELECTOR, ".card.wide table").text

    browser.find_element(By.LINK_TEXT, "Gallery").click()
    assert browser.find_element(By.CSS_SELECTOR, '[data-stat="indexed"]').text == "1"


def test_manager_refunds_an_order(browser, live_server, staff, shop, customer, wechat):
    order = create_order(customer=customer, store=shop, lines=[LineRequest("COLA", 2), LineRequest("TEA", 1)])
    payment_services.start_payment(order)
    payment = order.payments.get()
    wechat.complete_payment(payment.out_trade_no, notify=False)
    payment_services.sync_payment(payment)

    sign_in(browser, live_server, "manager")
    browser.find_element(By.LINK_TEXT, "Orders").click()
    browser.find_element(By.LINK_TEXT, str(order.pk)[:8]).click()
    assert browser.find_element(By.CSS_SELECTOR, "[data-total]").text == "¥12.00"
    amount = browser.find_element(By.NAME, "amount")
    amount.clear()
    amount.send_keys("12.00")
    browser.find_element(By.NAME, "reason").send_keys("customer returned the basket")
    browser.find_element(By.CSS_SELECTOR, "#refund-form button").click()
    browser.switch_to.alert.accept()
    WebDriverWait(browser, 15).until(
        ec.text_to_be_present_in_element((By.CSS_SELECTOR, ".messages"), "Refund of ¥12.00")
    )

    refund = Refund.objects.get(order=order)
    assert refund.amount_fen == 1200
    wechat.settle_refund(refund.out_refund_no, notify=False)
    payment_services.sync_refund(refund)
    browser.refresh()
    assert browser.find_element(By.ID, "order-status").text == "Refunded"
    assert Order.objects.get(pk=order.pk).refunded_fen == 1200
