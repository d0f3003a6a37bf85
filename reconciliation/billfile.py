"""WeChat Pay's bill files read into typed rows: yuan strings become integer fen exactly.

Both bills are CSV: a header row, detail rows whose every value starts with a backtick, then a
summary header and one summary row.  Columns are found by their header names, as WeChat asks
("the order of the columns is not fixed").  Amounts are decimal strings of yuan; one that is
not a whole number of fen is refused, never rounded.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from .errors import BillFormatError

WECHAT_TZ = ZoneInfo("Asia/Shanghai")  # WeChat cuts its bills at midnight, Beijing time


def fen(text: str, column: str = "amount") -> int:
    """ "12.30" -> 1230, "-0.02000" -> -2; "0.005" or "abc" is a BillFormatError."""
    try:
        value = Decimal(text.strip() or "0") * 100
    except InvalidOperation as exc:
        raise BillFormatError(f"{column}: {text!r} is not an amount in yuan.") from exc
    if value != value.to_integral_value():
        raise BillFormatError(f"{column}: {text!r} is not a whole number of fen.")
    return int(value)


def _records(text: str, header_start: str, summary_start: str) -> tuple[list[dict[str, str]], dict[str, str]]:
    lines = [line for line in text.lstrip("\ufeff").splitlines() if line.strip()]
    if not lines or header_start not in lines[0].split(","):
        raise BillFormatError(f"The bill does not start with its header (no column {header_start}).")
    try:
        split = next(i for i, line in enumerate(lines) if summary_start in line.split(","))
    except StopIteration as exc:
        raise BillFormatError(f"The bill has no summary ({summary_start}...).") from exc
    if split != len(lines) - 2:
        raise BillFormatError("The bill's summary is not its last two rows.")

    def rows(block: list[str]) -> list[dict[str, str]]:
        reader = csv.reader(io.StringIO("\n".join(block)))
        header = [name.strip() for name in next(reader)]
        out = []
        for values in reader:
            if len(values) != len(header):
                raise BillFormatError(f"A bill row has {len(values)} values for {len(header)} columns.")
            out.append({name: value.strip().removeprefix("`") for name, value in zip(header, values, strict=True)})
        return out

    return rows(lines[:split]), rows(lines[split:])[0]


def _get(record: dict[str, str], name: str) -> str:
    try:
        return record[name]
    except KeyError as exc:
        raise BillFormatError(f"The bill has no column {name}.") from exc


def _time(text: str) -> datetime:
    try:
        return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=WECHAT_TZ)
    except ValueError as exc:
        raise BillFormatError(f"{text!r} is not a bill time.") from exc


@dataclass(frozen=True)
class TradeRow:
    """One row of the trade bill: a payment (trade_state SUCCESS, REVOKED...) or a refund (REFUND)."""

    at: datetime
    app_id: str
    mch_id: str
    transaction_id: str
    out_trade_no: str
    trade_state: str
    settlement_fen: int  # 应结订单金额
    order_fen: int  # 订单金额
    refund_id: str
    out_refund_no: str
    refund_fen: int  # 退款金额
    refund_status: str
    fee_fen: int  # 手续费: negative on a refund row (given back)

    @property
    def is_refund(self) -> bool:
        return self.trade_state == "REFUND"


@dataclass(frozen=True)
class TradeBill:
    rows: list[TradeRow]
    count: int
    settlement_fen: int
    refund_fen: int
    fee_fen: int
    order_fen: int

    @property
    def payments(self) -> list[TradeRow]:
        return [row for row in self.rows if not row.is_refund]

    @property
    def refunds(self) -> list[TradeRow]:
        return [row for row in self.rows if row.is_refund]


def parse_trade_bill(text: str) -> TradeBill:
    records, summary = _records(text, "交易时间", "总交易单数")
    rows = [
        TradeRow(
            at=_time(_get(r, "交易时间")),
            app_id=_get(r, "公众账号ID"),
            mch_id=_get(r, "商户号"),
            transaction_id=_get(r, "微信订单号"),
            out_trade_no=_get(r, "商户订单号"),
            trade_state=_get(r, "交易状态"),
            settlement_fen=fen(_get(r, "应结订单金额"), "应结订单金额"),
            order_fen=fen(_get(r, "订单金额"), "订单金额"),
            refund_id="" if _get(r, "微信退款单号") == "0" else _get(r, "微信退款单号"),
            out_refund_no="" if _get(r, "商户退款单号") == "0" else _get(r, "商户退款单号"),
            refund_fen=fen(_get(r, "退款金额"), "退款金额"),
            refund_status=_get(r, "退款状态"),
            fee_fen=fen(_get(r, "手续费"), "手续费"),
        )
        for r in records
    ]
    bill = TradeBill(
        rows=rows,
        count=int(_get(summary, "总交易单数") or 0),
        settlement_fen=fen(_get(summary, "应结订单总金额")),
        refund_fen=fen(_get(summary, "退款总金额")),
        fee_fen=fen(_get(summary, "手续费总金额")),
        order_fen=fen(_get(summary, "订单总金额")),
    )
    sums = (
        len(rows),
        sum(r.settlement_fen for r in rows),
        sum(r.refund_fen for r in rows),
        sum(r.fee_fen for r in rows),
    )
    if sums != (bill.count, bill.settlement_fen, bill.refund_fen, bill.fee_fen):
        raise BillFormatError("The trade bill's rows do not add up to its summary row.")
    return bill


@dataclass(frozen=True)
class FundFlowBill:
    count: int
    income_fen: int
    expense_fen: int
    trade_income_fen: int = 0  # the payments that came in (业务类型 交易)

    @property
    def net_fen(self) -> int:
        return self.income_fen - self.expense_fen


def parse_fund_flow_bill(text: str) -> FundFlowBill:
    records, summary = _records(text, "记账时间", "资金流水总笔数")
    income = expense = trade_income = 0
    for r in records:
        amount = fen(next((v for k, v in r.items() if k.startswith("收支金额")), ""), "收支金额")
        if _get(r, "收支类型") == "收入":
            income += amount
            trade_income += amount if _get(r, "业务类型") == "交易" else 0
        else:
            expense += amount
    bill = FundFlowBill(
        count=int(_get(summary, "资金流水总笔数") or 0),
        income_fen=fen(_get(summary, "收入金额")),
        expense_fen=fen(_get(summary, "支出金额")),
        trade_income_fen=trade_income,
    )
    if (len(records), income, expense) != (bill.count, bill.income_fen, bill.expense_fen):
        raise BillFormatError("The fund-flow bill's rows do not add up to its summary row.")
    return bill
