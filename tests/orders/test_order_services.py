"""Order rules: server pricing, atomic stock, the status machine, expiry."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.utils import timezone

from catalog.models import Product
from orders.errors import OutOfStock
from orders.models import InvalidTransition, Order, OrderLine
from orders.services import LineRequest, create_order
from smart_container.errors import InvalidInput


@pytest.mark.django_db
def test_order_is_priced_by_the_server_and_reserves_stock(customer, store, make_product):
    cola = make_product(sku="COLA", price_fen=350, stock=10)
    chips = make_product(sku="CHIPS", price_fen=799, stock=3)
    order = create_order(
        customer=customer,
        store=store,
        lines=[LineRequest("COLA", 2), LineRequest("CHIPS", 1), LineRequest("COLA", 1)],
    )
    lines = {line.sku: line for line in order.lines.all()}
    assert (lines["COLA"].quantity, lines["COLA"].unit_price_fen, lines["COLA"].subtotal_fen) == (3, 350, 1050)
    assert lines["CHIPS"].subtotal_fen == 799 and lines["CHIPS"].name == chips.name
    assert order.total_fen == 1849 and order.status == Order.Status.CREATED
    assert order.expires_at > timezone.now()
    cola.refresh_from_db()
    chips.refresh_from_db()
    assert (cola.stock, chips.stock) == (7, 2)

    # A later price change does not rewrite the order.
    Product.objects.filter(pk=cola.pk).update(price_fen=1)
    assert OrderLine.objects.get(order=order, sku="COLA").unit_price_fen == 350


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ([], "at least one line"),
        ([LineRequest("NOPE", 1)], "Unknown or inactive SKU: NOPE"),
        ([LineRequest("COLA", 0)], "quantity must be between"),
        ([LineRequest("COLA", 1000)], "quantity must be between"),
        ([LineRequest("OFF", 1)], "Unknown or inactive SKU: OFF"),
    ],
)
def test_bad_orders_change_nothing(customer, store, make_product, lines, message):
    cola = make_product(sku="COLA", stock=5)
    make_product(sku="OFF", is_active=False)
    with pytest.raises(InvalidInput, match=message):
        create_order(customer=customer, store=store, lines=lines)
    assert not Order.objects.exists()
    cola.refresh_from_db()
    assert cola.stock == 5


@pytest.mark.django_db
def test_out_of_stock_is_all_or_nothing(customer, store, make_product):
    a = make_product(sku="A", stock=5)
    b = make_product(sku="B", stock=1)
    with pytest.raises(OutOfStock, match="B: only 1 left"):
        create_order(customer=customer, store=store, lines=[LineRequest("A", 2), LineRequest("B", 2)])
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.stock, b.stock) == (5, 1)  # A's reservation was rolled back with the order
    assert not Order.objects.exists()


@pytest.mark.django_db
def test_closed_store_refuses_orders(customer, store, make_product):
    make_product(sku="A")
    store.is_active = False
    store.save()
    with pytest.raises(InvalidInput, match="not open"):
        create_order(customer=customer, store=store, lines=[LineRequest("A", 1)])


@pytest.mark.django_db(transaction=True)
def test_concurrent_orders_never_oversell(customer, store, make_product):
    if connection.vendor != "postgresql":
        pytest.skip("row-level concurrency is proven on PostgreSQL (SQLite serialises writers)")
    last = make_product(sku="LAST", stock=3)
    results: list[str] = []
    barrier = threading.Barrier(8)

    def buy():
        try:
            barrier.wait()
            create_order(customer=customer, store=store, lines=[LineRequest("LAST", 1)])
            results.append("ok")
        except OutOfStock:
            results.append("out")
        finally:
            connection.close()

    threads = [threading.Thread(target=buy) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    last.refresh_from_db()
    assert results.count("ok") == 3 and results.count("out") == 5
    assert last.stock == 0
    assert Order.objects.count() == 3


@pytest.mark.django_db
def test_status_machine(customer, store):
    order = Order.objects.create(customer=customer, store=store)
    assert order.can_transition_to(Order.Status.PAID) and order.can_transition_to(Order.Status.CLOSED)
    with pytest.raises(InvalidTransition):
        order.transition_to(Order.Status.REFUNDED)
    order.transition_to(Order.Status.PAID)
    with pytest.raises(InvalidTransition):
        order.transition_to(Order.Status.CLOSED)
    order.transition_to(Order.Status.PARTIALLY_REFUNDED)
    order.transition_to(Order.Status.PARTIALLY_REFUNDED)
    order.transition_to(Order.Status.REFUNDED)
    for status in Order.Status:
        assert not order.can_transition_to(status)
