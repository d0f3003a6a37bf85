"""Reconciling a day against WeChat Pay's bills: every bill row to our Payment or Refund, every
payment we recorded as paid (and refund as settled) that day to a bill row.

What can be put right is put right through the normal paths (``payments.paying.sync_payment``
records a payment, or refunds it when its order is closed; ``payments.refunds.sync_refund``
settles a refund); the rest is left open for staff.  The day's run row is updated in place and
each discrepancy is recorded once, so running a day again changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.core.cache import cache
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from orders.models import Payment, Refund
from payments.gateway import PaymentGateway
from payments.paying import sync_payment
from payments.refunds import late_refund_no_for, sync_refund
from payments.wechatpay import get_gateway
from smart_container.errors import Conflict, DomainError, InvalidInput

from .billfile import WECHAT_TZ, FundFlowBill, TradeBill, TradeRow
from .bills import fetch_bill, wechat_today
from .errors import BillFormatError, BillHashMismatch, DayNotReconcilable
from .models import Bill, Discrepancy, ReconciliationRun

logger = logging.getLogger(__name__)
D, R = Discrepancy.Kind, Discrepancy.Resolution


def yesterday() -> date:
    return wechat_today() - timedelta(days=1)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, datetime.min.time(), WECHAT_TZ)
    return start, start + timedelta(days=1)


@contextmanager
def _one_run_at_a_time(day: date) -> Iterator[None]:
    key = f"reconciliation:running:{day}"
    try:
        claimed = cache.add(key, 1, timeout=600)
    except Exception as exc:  # no cache: the unique rows and the payment locks still keep it right
        logger.warning("reconciliation lock skipped, the cache is unavailable: %s", exc)
        claimed = None
    if claimed is False:
        raise Conflict(
            gettext("The reconciliation of %(day)s is already running.") % {"day": day}, code="reconciliation_running"
        )
    try:
        yield
    finally:
        if claimed:
            cache.delete(key)


@dataclass
class _Tally:
    run: ReconciliationRun
    gateway: PaymentGateway
    matched: int = 0
    seen: set[tuple[str, str]] = field(default_factory=set)

    def note(self, kind: str, reference: str, *, resolution: str, **values) -> Discrepancy:
        """Record a discrepancy once; a second run finds it recorded and leaves it as it is."""
        self.seen.add((kind, reference))
        found, created = Discrepancy.objects.get_or_create(
            run=self.run,
            kind=kind,
            reference=reference,
            defaults={
                "resolution": resolution,
                "is_open": resolution == R.NEEDS_STAFF,
                "resolved_at": None if resolution == R.NEEDS_STAFF else timezone.now(),
                **values,
            },
        )
        if created:
            logger.warning("reconciliation %s: %s %s -> %s", self.run.day, kind, reference, resolution)
        return found

    def existing(self, kind: str, reference: str) -> Discrepancy | None:
        return Discrepancy.objects.filter(run=self.run, kind=kind, reference=reference).first()


def _find_payment(row: TradeRow) -> Payment | None:
    numbers = Q(out_trade_no=row.out_trade_no)
    if row.transaction_id:
        numbers |= Q(transaction_id=row.transaction_id)
    return Payment.objects.filter(numbers).select_related("order").first()


def _find_refund(row: TradeRow) -> Refund | None:
    numbers = Q(out_refund_no=row.out_refund_no)
    if row.refund_id:
        numbers |= Q(refund_id=row.refund_id)
    return Refund.objects.filter(numbers).select_related("payment").first()


def _check_payment_row(t: _Tally, row: TradeRow) -> None:
    payment = _find_payment(row)
    ref = row.out_trade_no
    if payment is None:
        t.note(D.UNKNOWN_PAYMENT, ref, resolution=R.NEEDS_STAFF, wechat_fen=row.order_fen, wechat_state=row.trade_state)
        return
    if row.trade_state != "SUCCESS":  # REVOKED: paid, then cancelled at WeChat
        if payment.state == Payment.State.SUCCEEDED:
            t.note(
                D.STATE_DIFFERS,
                ref,
                resolution=R.NEEDS_STAFF,
                payment=payment,
                wechat_state=row.trade_state,
                local_state=payment.state,
                wechat_fen=row.order_fen,
                local_fen=payment.amount_fen,
            )
        else:
            t.matched += 1
        return
    if payment.state != Payment.State.SUCCEEDED:
        before = payment.state
        try:
            payment = sync_payment(payment, t.gateway)
        except DomainError as exc:
            logger.error("reconciliation %s: query of %s failed: %s", t.run.day, ref, exc.message)
        if payment.state == Payment.State.SUCCEEDED:
            late = Refund.objects.filter(out_refund_no=late_refund_no_for(payment)).exists()
            resolution = R.REFUNDED_CLOSED_ORDER if late else R.RECORDED_PAID
        else:
            resolution = R.NEEDS_STAFF
        found = t.note(
            D.UNPAID_HERE,
            ref,
            resolution=resolution,
            payment=payment,
            wechat_fen=row.order_fen,
            local_fen=payment.amount_fen,
            wechat_state=row.trade_state,
            local_state=before,
        )
        if found.is_open and resolution != R.NEEDS_STAFF:  # an earlier run's query failed; this one's did not
            Discrepancy.objects.filter(pk=found.pk).update(
                is_open=False, resolution=resolution, resolved_at=timezone.now()
            )
        if payment.state != Payment.State.SUCCEEDED:
            return
    if row.order_fen != payment.amount_fen:
        t.note(
            D.AMOUNT_DIFFERS,
            ref,
            resolution=R.NEEDS_STAFF,
            payment=payment,
            wechat_fen=row.order_fen,
            local_fen=payment.amount_fen,
            wechat_state=row.trade_state,
            local_state=payment.state,
        )
    elif payment.transaction_id and row.transaction_id and payment.transaction_id != row.transaction_id:
        t.note(
            D.STATE_DIFFERS,
            ref,
            resolution=R.NEEDS_STAFF,
            payment=payment,
            wechat_state=row.transaction_id,
            local_state=payment.transaction_id,
        )
    else:
        t.matched += 1


def _check_refund_row(t: _Tally, row: TradeRow) -> None:
    refund = _find_refund(row)
    ref = row.out_refund_no
    if refund is None:
        t.note(
            D.UNKNOWN_REFUND, ref, resolution=R.NEEDS_STAFF, wechat_fen=row.refund_fen, wechat_state=row.refund_status
        )
        return
    differs = {
        "refund": refund,
        "wechat_fen": row.refund_fen,
        "local_fen": refund.amount_fen,
        "wechat_state": row.refund_status,
        "local_state": refund.state,
    }
    if row.refund_fen != refund.amount_fen:
        t.note(D.REFUND_DIFFERS, ref, resolution=R.NEEDS_STAFF, **differs)
    elif row.refund_status == "SUCCESS" and refund.state == Refund.State.PENDING:
        try:
            refund = sync_refund(refund, t.gateway)
        except DomainError as exc:
            logger.error("reconciliation %s: refund query of %s failed: %s", t.run.day, ref, exc.message)
        settled = refund.state == Refund.State.SUCCEEDED
        found = t.note(
            D.REFUND_UNSETTLED_HERE, ref, resolution=R.SETTLED_REFUND if settled else R.NEEDS_STAFF, **differs
        )
        if found.is_open and settled:
            Discrepancy.objects.filter(pk=found.pk).update(
                is_open=False, resolution=R.SETTLED_REFUND, resolved_at=timezone.now()
            )
        t.matched += settled
    elif (row.refund_status == "SUCCESS" and refund.state == Refund.State.FAILED) or (
        row.refund_status in ("CLOSED", "ABNORMAL") and refund.state == Refund.State.SUCCEEDED
    ):
        t.note(D.REFUND_DIFFERS, ref, resolution=R.NEEDS_STAFF, **differs)
    else:
        t.matched += 1


def _check_local(t: _Tally, trade: TradeBill, start: datetime, end: datetime) -> tuple[int, int]:
    """Our paid payments and settled refunds of the day that the bill does not have."""
    billed_payments = {row.out_trade_no for row in trade.payments}
    billed_refunds = {row.out_refund_no for row in trade.refunds}
    payments = Payment.objects.filter(state=Payment.State.SUCCEEDED, paid_at__gte=start, paid_at__lt=end)
    refunds = Refund.objects.filter(state=Refund.State.SUCCEEDED, created_at__gte=start, created_at__lt=end)
    for payment in payments.exclude(out_trade_no__in=billed_payments):
        if t.existing(D.MISSING_FROM_BILL, payment.out_trade_no):
            t.seen.add((D.MISSING_FROM_BILL, payment.out_trade_no))
            continue
        try:
            state = t.gateway.query(payment.out_trade_no)
        except DomainError:
            state = None
        confirmed = bool(
            state
            and state.paid
            and state.amount_fen == payment.amount_fen
            and state.transaction_id == payment.transaction_id
        )
        t.note(
            D.MISSING_FROM_BILL,
            payment.out_trade_no,
            resolution=R.CONFIRMED_BY_QUERY if confirmed else R.NEEDS_STAFF,
            payment=payment,
            local_fen=payment.amount_fen,
            local_state=payment.state,
            wechat_state=state.trade_state if state else "",
            wechat_fen=state.amount_fen if state else None,
        )
    for refund in refunds.exclude(out_refund_no__in=billed_refunds).select_related("payment"):
        if t.existing(D.REFUND_MISSING_FROM_BILL, refund.out_refund_no):
            t.seen.add((D.REFUND_MISSING_FROM_BILL, refund.out_refund_no))
            continue
        try:
            state = t.gateway.query_refund(refund.out_refund_no)
        except DomainError:
            state = None
        confirmed = bool(state and state.status == "SUCCESS" and state.amount_fen == refund.amount_fen)
        t.note(
            D.REFUND_MISSING_FROM_BILL,
            refund.out_refund_no,
            resolution=R.CONFIRMED_BY_QUERY if confirmed else R.NEEDS_STAFF,
            refund=refund,
            local_fen=refund.amount_fen,
            local_state=refund.state,
            wechat_state=state.status if state else "",
            wechat_fen=state.amount_fen if state else None,
        )
    return payments.count(), refunds.count()


def _save_run(day: date, **values) -> ReconciliationRun:
    """The day's run row, written only when something differs (a re-run changes nothing)."""
    run = ReconciliationRun.objects.filter(day=day).first()
    if run is None:
        return ReconciliationRun.objects.create(day=day, checked_at=timezone.now(), **values)
    changed = [name for name, value in values.items() if getattr(run, name) != value]
    if changed:
        for name in changed:
            setattr(run, name, values[name])
        run.checked_at = timezone.now()
        run.save(update_fields=[*changed, "checked_at"])
    return run


def reconcile_day(day: date | None = None, *, gateway: PaymentGateway | None = None) -> ReconciliationRun:
    """Reconcile ``day`` (default: yesterday, Beijing time, as WeChat cuts its bills)."""
    day = day or yesterday()
    if day > wechat_today():
        raise DayNotReconcilable(fields={"date": [gettext("%(day)s is in the future.") % {"day": day}]})
    gateway = gateway or get_gateway()
    with _one_run_at_a_time(day):
        try:
            trade_bill, trade = fetch_bill(day, Bill.Kind.TRADE, gateway)
            fund_bill, fund = fetch_bill(day, Bill.Kind.FUND_FLOW, gateway)
        except (BillHashMismatch, BillFormatError):
            _save_run(day, state=ReconciliationRun.State.NOT_AVAILABLE)
            raise
        if not isinstance(trade, TradeBill):
            return _save_run(day, state=ReconciliationRun.State.NOT_AVAILABLE, trade_bill_hash=trade_bill.hash_value)
        run, _ = ReconciliationRun.objects.get_or_create(
            day=day, defaults={"state": ReconciliationRun.State.MATCHED, "checked_at": timezone.now()}
        )
        tally = _Tally(run=run, gateway=gateway)
        for row in trade.payments:
            _check_payment_row(tally, row)
        for row in trade.refunds:
            _check_refund_row(tally, row)
        local_payments, local_refunds = _check_local(tally, trade, *day_bounds(day))
        gross = sum(row.order_fen for row in trade.payments if row.trade_state == "SUCCESS")
        refunded = sum(row.refund_fen for row in trade.refunds)
        fund_net = fund.net_fen if isinstance(fund, FundFlowBill) else None
        if isinstance(fund, FundFlowBill) and fund.trade_income_fen != gross:
            tally.note(
                D.SETTLEMENT_DIFFERS,
                "fund_flow",
                resolution=R.NEEDS_STAFF,
                wechat_fen=fund.trade_income_fen,
                local_fen=gross,
            )
        has_open = run.discrepancies.filter(is_open=True).exists()
        return _save_run(
            day,
            state=ReconciliationRun.State.DISCREPANCIES if has_open else ReconciliationRun.State.MATCHED,
            trade_bill_hash=trade_bill.hash_value,
            fund_flow_bill_hash=fund_bill.hash_value,
            bill_payments=len(trade.payments),
            bill_refunds=len(trade.refunds),
            local_payments=local_payments,
            local_refunds=local_refunds,
            matched=tally.matched,
            gross_fen=gross,
            refunds_fen=refunded,
            fee_fen=trade.fee_fen,
            net_fen=gross - refunded - trade.fee_fen,
            fund_flow_net_fen=fund_net,
        )


def resolve_by_staff(discrepancy: Discrepancy, *, user, note: str) -> Discrepancy:
    """Staff decided an open discrepancy (what they did is the note); the day is matched when none is left."""
    note = note.strip()
    if not note:
        raise InvalidInput(fields={"note": [gettext("Say what was done.")]})
    updated = Discrepancy.objects.filter(pk=discrepancy.pk, is_open=True).update(
        is_open=False,
        resolution=R.RESOLVED_BY_STAFF,
        resolved_at=timezone.now(),
        resolved_by=user,
        staff_note=note[:200],
    )
    if not updated:
        raise Conflict(gettext("This discrepancy is already resolved."), code="already_resolved")
    run = discrepancy.run
    if run.state == ReconciliationRun.State.DISCREPANCIES and not run.discrepancies.filter(is_open=True).exists():
        ReconciliationRun.objects.filter(pk=run.pk).update(state=ReconciliationRun.State.MATCHED)
    discrepancy.refresh_from_db()
    return discrepancy
