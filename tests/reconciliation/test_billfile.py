"""WeChat's bill format read exactly: columns by name, backticks stripped, rows checked against the summary."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from reconciliation.billfile import parse_fund_flow_bill, parse_trade_bill
from reconciliation.errors import BillFormatError
from wechat_fake import bills
from wechat_fake.ledger import CHINA, Ledger

DAY = date(2026, 11, 30)


@pytest.fixture
def ledger() -> Ledger:
    ledger = Ledger()
    at = datetime(2026, 11, 30, 9, 30, tzinfo=CHINA)
    common = {"appid": "wx1", "mchid": "1900000109", "openid": "o-1", "description": "Demo 2 items"}
    ledger.charge(at=at, out_trade_no="T1", transaction_id="4200001", amount_fen=1999, **common)
    ledger.charge(at=at, out_trade_no="T2", transaction_id="4200002", amount_fen=1, **common)
    ledger.refund(at=at, out_trade_no="T1", transaction_id="4200001", out_refund_no="R1", refund_id="5001",
                  amount_fen=999, **common)  # fmt: skip
    ledger.settle_refund("R1", "SUCCESS", at)
    ledger.charge(
        at=datetime(2026, 12, 1, 0, 0, tzinfo=CHINA),
        out_trade_no="T3",
        transaction_id="4200003",
        amount_fen=500,
        **common,
    )  # fmt: skip  (the next day)
    return ledger


def test_trade_bill_rows_in_fen(ledger):
    bill = parse_trade_bill(bills.trade_bill(ledger, DAY))
    assert [(r.out_trade_no, r.order_fen, r.fee_fen) for r in bill.payments] == [("T1", 1999, 12), ("T2", 1, 0)]
    (refund,) = bill.refunds
    assert (refund.out_refund_no, refund.refund_id, refund.refund_fen, refund.fee_fen) == ("R1", "5001", 999, -6)
    assert (refund.refund_status, refund.at.hour) == ("SUCCESS", 9)
    assert (bill.count, bill.order_fen, bill.refund_fen, bill.fee_fen) == (3, 2000, 999, 6)


def test_columns_are_found_by_name_in_any_order(ledger):
    lines = bills.trade_bill(ledger, DAY).splitlines()
    rows = [line.split(",") for line in lines[:-2]]
    swapped = [",".join([row[6], *row[:6], *row[7:]]) for row in rows]  # 商户订单号 first
    bill = parse_trade_bill("\r\n".join([*swapped, *lines[-2:]]))
    assert [r.out_trade_no for r in bill.payments] == ["T1", "T2"]


def test_rows_not_adding_up_to_the_summary_are_refused(ledger):
    text = bills.trade_bill(ledger, DAY).replace("`19.99", "`19.98", 1)
    with pytest.raises(BillFormatError, match="do not add up"):
        parse_trade_bill(text)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda text: text.split("\r\n", 1)[1],  # no header
        lambda text: text.rsplit("总交易单数", 1)[0],  # no summary
        lambda text: text.replace("`19.99", "`19.995", 1),  # not whole fen
    ],
)
def test_malformed_trade_bills_are_refused(ledger, mangle):
    with pytest.raises(BillFormatError):
        parse_trade_bill(mangle(bills.trade_bill(ledger, DAY)))


def test_fund_flow_bill_sums(ledger):
    bill = parse_fund_flow_bill(bills.fund_flow_bill(ledger, DAY))
    assert bill.trade_income_fen == 2000
    assert bill.net_fen == 2000 - 12 - 999 + 6  # payments in, fees out, the refund out and its fee back
