"""Reconciling a day against the fake WeChat's bills: every outcome found and resolved, idempotent,
and the bills' own states (not yet made, too old, tampered) kept as states."""

from __future__ import annotations

import gzip
import hashlib
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.forms.models import model_to_dict

from orders import actions as order_actions
from orders.models import Order, Payment, Refund
from reconciliation.billfile import fen, parse_trade_bill
from reconciliation.bills import oldest_kept_day, wechat_today
from reconciliation.errors import BillFormatError, BillHashMismatch, DayNotReconcilable
from reconciliation.models import Bill, Discrepancy, ReconciliationRun
from reconciliation.services import reconcile_day, resolve_by_staff
from smart_container.errors import Conflict, InvalidInput
from wechat_fake import bills as fake_bills
from wechat_fake.ledger import fee_for

pytestmark = pytest.mark.django_db
D, R = Discrepancy.Kind, Discrepancy.Resolution


def bill_requests(wechat) -> list[str]:
    return [path for _, path in wechat.requests if path.startswith("/v3/bill")]


def snapshot() -> list:
    rows = [*ReconciliationRun.objects.all(), *Discrepancy.objects.all(), *Bill.objects.all()]
    rows += [*Payment.objects.all(), *Refund.objects.all(), *Order.objects.all()]
    return [(type(row).__name__, model_to_dict(row), getattr(row, "checked_at", None)) for row in rows]


def test_yuan_becomes_fen_exactly():
    assert [fen("12.30"), fen("0.01"), fen("-0.02000"), fen("1234567.89")] == [1230, 1, -2, 123456789]
    for bad in ("0.005", "abc", "1e400x"):
        with pytest.raises(BillFormatError):
            fen(bad)


def test_a_day_of_payments_and_refunds_is_all_matched_with_its_sums(bills_now, pay, refund):
    first, second = pay(1), pay(3)  # 800 and 2400 fen
    refund(first, 300, "R-part")
    run = reconcile_day(wechat_today())
    assert run.state == ReconciliationRun.State.MATCHED, list(run.discrepancies.values())
    assert (run.bill_payments, run.bill_refunds, run.local_payments, run.local_refunds) == (2, 1, 2, 1)
    assert run.matched == 3 and not run.discrepancies.exists()
    fee = fee_for(800) + fee_for(2400) - fee_for(300)
    assert (run.gross_fen, run.refunds_fen, run.fee_fen) == (3200, 300, fee)
    assert run.net_fen == 3200 - 300 - fee
    assert run.fund_flow_net_fen == 3200 - 300 - fee  # the refund settled the same day
    trade = Bill.objects.get(kind=Bill.Kind.TRADE)
    with trade.file.open("rb") as raw:
        text = gzip.decompress(raw.read())
    assert hashlib.sha1(text).hexdigest() == trade.hash_value == run.trade_bill_hash
    assert text.decode().splitlines()[1].startswith("`")  # WeChat's backtick-prefixed values
    assert {row.out_trade_no for row in parse_trade_bill(text.decode()).payments} == {
        first.payments.get().out_trade_no,
        second.payments.get().out_trade_no,
    }


def test_charge_never_notified_is_recorded_paid_and_a_rerun_changes_nothing(bills_now, pay):
    lost = pay(2, notify=False)
    assert lost.status == Order.Status.CREATED
    run = reconcile_day(wechat_today())
    lost.refresh_from_db()
    assert lost.status == Order.Status.PAID  # through the normal paying path
    found = run.discrepancies.get()
    assert (found.kind, found.resolution, found.is_open) == (D.UNPAID_HERE, R.RECORDED_PAID, False)
    assert (found.local_state, found.wechat_fen) == ("pending", 1600)
    assert run.state == ReconciliationRun.State.MATCHED and run.matched == 1

    before = snapshot()
    again = reconcile_day(wechat_today())
    assert snapshot() == before  # not a row changed, not even the run's checked_at
    assert again.pk == run.pk


def test_a_past_days_bills_are_kept_not_fetched_again(bills_now):
    day = wechat_today() - timedelta(days=1)
    assert reconcile_day(day).state == ReconciliationRun.State.MATCHED  # no trades: an empty bill
    asked, before = len(bill_requests(bills_now)), snapshot()
    reconcile_day(day)
    assert len(bill_requests(bills_now)) == asked and snapshot() == before


def test_todays_bill_so_far_is_replaced_when_it_grew(bills_now, pay):
    pay(1)
    first = reconcile_day(wechat_today()).trade_bill_hash
    pay(2)
    run = reconcile_day(wechat_today())
    assert run.trade_bill_hash != first and (run.bill_payments, run.matched) == (2, 2)
    assert Bill.objects.get(kind=Bill.Kind.TRADE).hash_value == run.trade_bill_hash


def test_charge_on_a_closed_order_is_refunded_as_a_late_payment(
    bills_now, order_for, payment_tasks_in_process, django_capture_on_commit_callbacks
):
    order = order_for(1)
    order_actions.close(order_actions.lock(order.pk))  # expired and closed here
    bills_now.complete_payment(order.pk.hex, notify=False)  # ...while the customer paid at WeChat
    with django_capture_on_commit_callbacks(execute=True):
        run = reconcile_day(wechat_today())
    found = run.discrepancies.get(kind=D.UNPAID_HERE)
    assert (found.resolution, found.is_open) == (R.REFUNDED_CLOSED_ORDER, False)
    order.refresh_from_db()
    assert order.status == Order.Status.CLOSED
    late = Refund.objects.get(order=order)
    assert late.amount_fen == 800 and late.out_refund_no in bills_now.refunds  # sent to WeChat


def test_refund_settled_only_at_wechat_is_settled_here(bills_now, pay, refund):
    order = pay(1)
    refund(order, 800, "R-quiet", notify=False)
    assert Refund.objects.get(out_refund_no="R-quiet").state == Refund.State.PENDING
    run = reconcile_day(wechat_today())
    found = run.discrepancies.get()
    assert (found.kind, found.resolution, found.is_open) == (D.REFUND_UNSETTLED_HERE, R.SETTLED_REFUND, False)
    order.refresh_from_db()
    assert order.status == Order.Status.REFUNDED and run.state == ReconciliationRun.State.MATCHED


def test_amount_changed_at_wechat_is_left_open_for_staff(bills_now, pay, django_user_model):
    order = pay(1)
    bills_now.ledger.inject_amount(order.pk.hex, 700)
    run = reconcile_day(wechat_today())
    found = run.discrepancies.get()
    assert (found.kind, found.resolution, found.is_open) == (D.AMOUNT_DIFFERS, R.NEEDS_STAFF, True)
    assert (found.wechat_fen, found.local_fen) == (700, 800)
    assert run.state == ReconciliationRun.State.DISCREPANCIES and run.gross_fen == 700
    assert reconcile_day(wechat_today()).discrepancies.count() == 1  # found once

    boss = django_user_model.objects.create_user("boss")
    resolve_by_staff(found, user=boss, note="WeChat support confirmed a 1-yuan discount")
    run.refresh_from_db()
    found.refresh_from_db()
    assert run.state == ReconciliationRun.State.MATCHED
    assert (found.resolution, found.resolved_by, found.is_open) == (R.RESOLVED_BY_STAFF, boss, False)
    assert reconcile_day(wechat_today()).state == ReconciliationRun.State.MATCHED  # a re-run does not reopen it


def test_rows_missing_from_the_bill_are_checked_by_query(bills_now, pay, refund):
    order = pay(1)
    refund(order, 200, "R-missing")
    bills_now.ledger.inject_missing(order.pk.hex)
    bills_now.ledger.inject_missing("R-missing")
    run = reconcile_day(wechat_today())
    kinds = {d.kind: d for d in run.discrepancies.all()}
    assert set(kinds) == {D.MISSING_FROM_BILL, D.REFUND_MISSING_FROM_BILL}
    assert all(d.resolution == R.CONFIRMED_BY_QUERY and not d.is_open for d in kinds.values())
    assert (run.bill_payments, run.local_payments, run.matched) == (0, 1, 0)


def test_a_charge_unknown_here_is_left_for_staff(bills_now, pay):
    pay(1)
    bills_now.ledger.charge(
        at=bills_now.ledger.charges[0].at,
        appid="wx0",
        mchid="1900000109",
        openid="o-x",
        out_trade_no="NOT-OURS-1",
        transaction_id="4200000000000000000000000099",
        amount_fen=500,
        description="?",
    )
    run = reconcile_day(wechat_today())
    found = run.discrepancies.get(kind=D.UNKNOWN_PAYMENT)
    assert (found.reference, found.wechat_fen, found.is_open) == ("NOT-OURS-1", 500, True)
    # the fund flow (the money) agrees with the trade bill, so no settlement discrepancy
    assert not run.discrepancies.filter(kind=D.SETTLEMENT_DIFFERS).exists()


def test_bill_not_yet_made_is_a_state_and_the_next_run_gets_it(wechat, pay):
    pay(1)
    run = reconcile_day(wechat_today())
    assert run.state == ReconciliationRun.State.NOT_AVAILABLE
    bill = Bill.objects.get(kind=Bill.Kind.TRADE)
    assert (bill.state, bill.file.name) == (Bill.State.NOT_YET, "")
    assert "账单尚未生成" in bill.detail
    wechat.bills_ready_immediately = True  # 10:00 the next day
    assert reconcile_day(wechat_today()).state == ReconciliationRun.State.MATCHED
    assert Bill.objects.get(kind=Bill.Kind.TRADE).state == Bill.State.READY


def test_a_day_older_than_three_months_is_too_old_without_asking(bills_now):
    old = oldest_kept_day(wechat_today()) - timedelta(days=1)
    run = reconcile_day(old)
    assert run.state == ReconciliationRun.State.NOT_AVAILABLE
    assert set(Bill.objects.values_list("state", flat=True)) == {Bill.State.TOO_OLD}
    assert not bill_requests(bills_now)


def test_a_bill_not_matching_its_hash_is_refused(bills_now, pay):
    pay(1)
    bills_now.bill_downloads.tamper = True
    with pytest.raises(BillHashMismatch):
        reconcile_day(wechat_today())
    bill = Bill.objects.get(kind=Bill.Kind.TRADE)
    assert (bill.state, bill.file.name) == (Bill.State.REFUSED, "")
    assert ReconciliationRun.objects.get().state == ReconciliationRun.State.NOT_AVAILABLE
    assert not Payment.objects.filter(state="pending").exists()
    bills_now.bill_downloads.tamper = False
    assert reconcile_day(wechat_today()).state == ReconciliationRun.State.MATCHED


def test_future_day_is_refused_by_name(bills_now):
    with pytest.raises(DayNotReconcilable) as refused:
        reconcile_day(wechat_today() + timedelta(days=1))
    assert "date" in refused.value.fields


def test_download_url_expires(bills_now):
    link = bills_now.bill_downloads.issue(bills_now.base_url, "x", gzipped=True)
    token = link["download_url"].rsplit("=", 1)[1]
    assert bills_now.bill_downloads.take(token) is not None
    expires, data, gzipped = bills_now.bill_downloads.files[token]
    bills_now.bill_downloads.files[token] = (expires - fake_bills.DOWNLOAD_TTL_SECONDS - 1, data, gzipped)
    assert bills_now.bill_downloads.take(token) is None


def test_reconcile_command_prints_the_day(bills_now, pay, capsys):
    pay(1)
    call_command("reconcile", "--date", wechat_today().isoformat())
    out = capsys.readouterr().out
    assert f"{wechat_today()}: matched" in out and "gross ¥8.00" in out


def test_the_beat_task_reconciles_yesterday_and_reports_a_refusal_without_raising(bills_now):
    from reconciliation.tasks import reconcile_yesterday

    assert reconcile_yesterday.apply().get() == ReconciliationRun.State.MATCHED
    assert ReconciliationRun.objects.get().day == wechat_today() - timedelta(days=1)
    Bill.objects.all().delete()
    bills_now.bill_downloads.tamper = True
    assert reconcile_yesterday.apply().get() == "bill_hash_mismatch"


def test_a_day_already_being_reconciled_is_refused(bills_now):
    from django.core.cache import cache

    cache.add(f"reconciliation:running:{wechat_today()}", 1)
    with pytest.raises(Conflict) as refused:
        reconcile_day(wechat_today())
    assert refused.value.code == "reconciliation_running" and not ReconciliationRun.objects.exists()


def test_a_resolved_discrepancy_cannot_be_resolved_again(bills_now, pay, django_user_model):
    order = pay(1)
    bills_now.ledger.inject_amount(order.pk.hex, 1)
    found = reconcile_day(wechat_today()).discrepancies.get()
    boss = django_user_model.objects.create_user("boss")
    with pytest.raises(InvalidInput):
        resolve_by_staff(found, user=boss, note="  ")
    resolve_by_staff(found, user=boss, note="checked")
    with pytest.raises(Conflict):
        resolve_by_staff(found, user=boss, note="again")
