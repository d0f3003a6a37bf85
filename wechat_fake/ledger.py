"""What the fake WeChat Pay charged and refunded, as WeChat's own books hold it: the bills
are written from this ledger, never from the API's transaction table, so tests can make the
two disagree the way real incidents do (a row WeChat lost, an amount it booked differently)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

CHINA = timezone(timedelta(hours=8))
FEE_RATE_PER_MILLE = 6  # 0.60%, WeChat Pay's usual rate for mini-program payments


def fee_for(amount_fen: int) -> int:
    """WeChat's fee on an amount, rounded half up to the fen."""
    return (amount_fen * FEE_RATE_PER_MILLE + 500) // 1000


@dataclass
class Charge:
    at: datetime
    appid: str
    mchid: str
    openid: str
    out_trade_no: str
    transaction_id: str
    amount_fen: int
    description: str
    fee_fen: int


@dataclass
class RefundEntry:
    at: datetime  # when WeChat accepted the refund (the day it is billed on)
    appid: str
    mchid: str
    openid: str
    out_trade_no: str
    transaction_id: str
    out_refund_no: str
    refund_id: str
    amount_fen: int
    description: str
    fee_fen: int  # the fee WeChat gives back, positive
    status: str = "PROCESSING"
    settled_at: datetime | None = None


@dataclass
class Ledger:
    """Append-only in spirit; the ``inject_*`` methods are the tests' ways to make it diverge."""

    charges: list[Charge] = field(default_factory=list)
    refunds: list[RefundEntry] = field(default_factory=list)
    lock: threading.RLock = field(default_factory=threading.RLock)

    def charge(self, **values) -> Charge:
        with self.lock:
            entry = Charge(fee_fen=fee_for(values["amount_fen"]), **values)
            self.charges.append(entry)
            return entry

    def refund(self, **values) -> RefundEntry:
        with self.lock:
            entry = RefundEntry(fee_fen=fee_for(values["amount_fen"]), **values)
            self.refunds.append(entry)
            return entry

    def settle_refund(self, out_refund_no: str, status: str, at: datetime) -> None:
        with self.lock:
            for entry in self.refunds:
                if entry.out_refund_no == out_refund_no and entry.status == "PROCESSING":
                    entry.status, entry.settled_at = status, at

    def charges_on(self, day: date) -> list[Charge]:
        return [c for c in self.charges if c.at.astimezone(CHINA).date() == day]

    def refunds_on(self, day: date) -> list[RefundEntry]:
        return [r for r in self.refunds if r.at.astimezone(CHINA).date() == day]

    # --- divergences for tests
    def inject_amount(self, out_trade_no: str, amount_fen: int) -> None:
        """WeChat booked this charge with another amount than the one it was asked for."""
        with self.lock:
            for entry in self.charges:
                if entry.out_trade_no == out_trade_no:
                    entry.amount_fen, entry.fee_fen = amount_fen, fee_for(amount_fen)

    def inject_missing(self, number: str) -> None:
        """WeChat's bill lacks this charge (out_trade_no) or refund (out_refund_no)."""
        with self.lock:
            self.charges = [c for c in self.charges if c.out_trade_no != number]
            self.refunds = [r for r in self.refunds if r.out_refund_no != number]
