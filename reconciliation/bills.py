"""Fetching a day's bills from WeChat Pay and keeping them: the raw file (gzip) and its SHA-1.

A bill downloaded after its day ended is kept and never fetched again (WeChat's bills of a past
day do not change); one fetched during its day (only the development fake serves those) is
fetched again, and replaced only if it changed.  A bill WeChat has not made yet, or no longer
keeps, is stored as that state and asked again only by the next run: no retry storm.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
from datetime import date, datetime, timedelta

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from payments.gateway import GatewayRejected, PaymentGateway

from .billfile import WECHAT_TZ, FundFlowBill, TradeBill, parse_fund_flow_bill, parse_trade_bill
from .errors import BillFormatError, BillHashMismatch
from .models import Bill

logger = logging.getLogger(__name__)
NOT_MADE_CODES = {"NO_STATEMENT_EXIST", "STATEMENT_CREATING"}
KEPT_MONTHS = 3  # "此接口仅可下载三个月内的账单"
PARSERS = {Bill.Kind.TRADE: parse_trade_bill, Bill.Kind.FUND_FLOW: parse_fund_flow_bill}
EMPTY = {Bill.Kind.TRADE: TradeBill([], 0, 0, 0, 0, 0), Bill.Kind.FUND_FLOW: FundFlowBill(0, 0, 0)}


def wechat_today() -> date:
    return datetime.now(WECHAT_TZ).date()


def oldest_kept_day(today: date) -> date:
    """The first day WeChat still has bills for: three calendar months back (day clamped)."""
    month = today.month - KEPT_MONTHS
    year = today.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    for day in (today.day, 30, 29, 28):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def no_trades_after(day: date) -> datetime:
    """Past this, WeChat's "no statement" for a day means it had no trades, not "not yet"."""
    return datetime.combine(day + timedelta(days=2), datetime.min.time(), WECHAT_TZ)


def _read(bill: Bill, kind: str) -> TradeBill | FundFlowBill:
    if not bill.file:
        return EMPTY[kind]
    with bill.file.open("rb") as raw:
        return PARSERS[kind](gzip.decompress(raw.read()).decode("utf-8"))


def _store(day: date, kind: str, **values) -> Bill:
    bill, _ = Bill.objects.update_or_create(day=day, kind=kind, defaults={"fetched_at": timezone.now(), **values})
    return bill


def fetch_bill(day: date, kind: str, gateway: PaymentGateway) -> tuple[Bill, TradeBill | FundFlowBill | None]:
    """(the stored bill, its parsed content) for ``day``; content None when WeChat has none (yet).

    A download whose SHA-1 differs from the announced one raises BillHashMismatch, one not in
    WeChat's format BillFormatError, each after storing the bill as refused (the next run asks again).
    """
    kept = Bill.objects.filter(day=day, kind=kind, state=Bill.State.READY).first()
    day_over = datetime.combine(day + timedelta(days=1), datetime.min.time(), WECHAT_TZ)
    if kept is not None and kept.fetched_at >= day_over:  # complete: a past day's bill does not change
        return kept, _read(kept, kind)
    if day < oldest_kept_day(wechat_today()):
        return _store(day, kind, state=Bill.State.TOO_OLD, hash_value="", detail=""), None
    try:
        link = gateway.bill_link(kind, day.isoformat())
    except GatewayRejected as exc:
        if exc.provider_code in NOT_MADE_CODES and timezone.now() >= no_trades_after(day):
            # Two days on, WeChat answering "no statement" means the day had no trades.
            return _store(day, kind, state=Bill.State.READY, hash_value="", detail=exc.message[:200]), EMPTY[kind]
        if exc.provider_code in NOT_MADE_CODES:
            return _store(day, kind, state=Bill.State.NOT_YET, hash_value="", detail=exc.message[:200]), None
        raise
    content = gateway.download_bill(link.download_url)
    try:
        text_bytes = gzip.decompress(content)
    except (OSError, EOFError) as exc:
        _store(day, kind, state=Bill.State.REFUSED, hash_value="", detail="not a gzip file")
        raise BillFormatError("WeChat Pay's bill download is not a gzip file.") from exc
    digest = hashlib.sha1(text_bytes).hexdigest()
    if link.hash_type.upper() != "SHA1" or digest != link.hash_value.lower():
        logger.error("%s bill of %s: SHA-1 %s, WeChat announced %s; refused", kind, day, digest, link.hash_value)
        _store(day, kind, state=Bill.State.REFUSED, hash_value="", detail=f"SHA-1 {digest} != {link.hash_value}"[:200])
        raise BillHashMismatch()
    try:
        parsed = PARSERS[kind](text_bytes.decode("utf-8"))
    except (UnicodeDecodeError, BillFormatError) as exc:
        _store(day, kind, state=Bill.State.REFUSED, hash_value=digest, detail=str(exc)[:200])
        raise BillFormatError(f"WeChat Pay's {kind} bill of {day} is not in its format: {exc}") from exc
    if kept is not None and kept.hash_value == digest:  # the day so far, unchanged since last asked
        return kept, parsed
    replaced = kept.file.name if kept is not None and kept.file else ""
    with transaction.atomic():
        bill = _store(day, kind, state=Bill.State.READY, hash_value=digest, detail="")
        bill.file.save(f"{day:%Y/%m}/{kind}-{day}-{digest[:12]}.csv.gz", ContentFile(content), save=True)
    if replaced and replaced != bill.file.name:
        bill.file.storage.delete(replaced)  # the day so far, superseded
    return bill, parsed
