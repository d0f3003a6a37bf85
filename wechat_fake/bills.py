"""WeChat Pay's bill files, written from the fake's ledger in WeChat's format.

The trade bill (``/v3/bill/tradebill``, type ALL) and the fund-flow bill
(``/v3/bill/fundflowbill``, BASIC account): a header row, detail rows with every value
prefixed by a backtick (so Excel keeps long numbers), then a summary header and its row;
amounts in yuan.  The API answers a SHA-1 ``hash_value`` of the uncompressed file and a
``download_url`` valid for a few minutes; the download itself is gzip when asked and unsigned.
"""

from __future__ import annotations

import gzip
import hashlib
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from .ledger import CHINA, FEE_RATE_PER_MILLE, Ledger

TRADE_HEADER = (
    "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,"
    "货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,"
    "商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注"
)
TRADE_SUMMARY_HEADER = "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额"
FUND_HEADER = (
    "记账时间,微信支付业务单号,资金流水单号,业务名称,业务类型,收支类型,收支金额(元),账户结余(元),"
    "资金变更提交申请人,备注,业务凭证号"
)
FUND_SUMMARY_HEADER = "资金流水总笔数,收入笔数,收入金额,支出笔数,支出金额"
RATE = f"{FEE_RATE_PER_MILLE / 10:.2f}%"
DOWNLOAD_TTL_SECONDS = 300  # "该地址5min内有效"


def yuan(fen: int, places: int = 2) -> str:
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}.{cents:02d}" + "0" * (places - 2)


def _line(values: list[str]) -> str:
    return ",".join(f"`{value}" for value in values)


def _when(moment: datetime) -> str:
    return moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S")


def trade_bill(ledger: Ledger, day: date) -> str:
    rows, settle, refunded, fees, ordered, asked = [], 0, 0, 0, 0, 0
    with ledger.lock:
        for c in ledger.charges_on(day):
            rows.append((c.at, _line([
                _when(c.at), c.appid, c.mchid, "0", "", c.transaction_id, c.out_trade_no, c.openid, "JSAPI",
                "SUCCESS", "OTHERS", "CNY", yuan(c.amount_fen), "0.00", "0", "0", "0.00", "0.00", "", "",
                c.description, "", yuan(c.fee_fen, 5), RATE, yuan(c.amount_fen), "0.00", "",
            ])))  # fmt: skip
            settle, fees, ordered = settle + c.amount_fen, fees + c.fee_fen, ordered + c.amount_fen
        for r in ledger.refunds_on(day):
            rows.append((r.at, _line([
                _when(r.at), r.appid, r.mchid, "0", "", r.transaction_id, r.out_trade_no, r.openid, "JSAPI",
                "REFUND", "OTHERS", "CNY", "0.00", "0.00", r.refund_id, r.out_refund_no, yuan(r.amount_fen),
                "0.00", "ORIGINAL", r.status, r.description, "", yuan(-r.fee_fen, 5), RATE, "0.00",
                yuan(r.amount_fen), "",
            ])))  # fmt: skip
            refunded, fees, asked = refunded + r.amount_fen, fees - r.fee_fen, asked + r.amount_fen
    summary = _line([str(len(rows)), yuan(settle), yuan(refunded), "0.00", yuan(fees, 5), yuan(ordered), yuan(asked)])
    lines = [TRADE_HEADER, *(line for _, line in sorted(rows, key=lambda row: row[0])), TRADE_SUMMARY_HEADER, summary]
    return "\r\n".join(lines) + "\r\n"


def fund_flow_bill(ledger: Ledger, day: date) -> str:
    """The BASIC account's movements: payments in, fees out, settled refunds out (fee given back)."""
    movements: list[tuple[datetime, str, str, str, int, str]] = []  # at, business no, name, type, signed fen
    with ledger.lock:
        for c in ledger.charges:
            movements.append((c.at, c.transaction_id, "交易", "交易", c.amount_fen, c.out_trade_no))
            if c.fee_fen:
                movements.append(
                    (c.at, c.transaction_id, "扣除交易手续费", "扣除交易手续费", -c.fee_fen, c.out_trade_no)
                )
        for r in ledger.refunds:
            if r.status == "SUCCESS" and r.settled_at:
                movements.append((r.settled_at, r.refund_id, "退款", "退款", -r.amount_fen, r.out_refund_no))
                if r.fee_fen:
                    movements.append(
                        (r.settled_at, r.refund_id, "退还交易手续费", "扣除交易手续费", r.fee_fen, r.out_refund_no)
                    )
    movements.sort(key=lambda m: m[0])
    balance, lines, income, income_n, expense, expense_n = 0, [FUND_HEADER], 0, 0, 0, 0
    for n, (at, business_no, name, kind, fen, voucher) in enumerate(movements):
        balance += fen
        if at.astimezone(CHINA).date() != day:
            continue
        if fen >= 0:
            income, income_n = income + fen, income_n + 1
        else:
            expense, expense_n = expense - fen, expense_n + 1
        lines.append(_line([
            _when(at), business_no, f"{at.astimezone(CHINA):%Y%m%d}{n:012d}", name, kind,
            "收入" if fen >= 0 else "支出", yuan(abs(fen)), yuan(balance), "system", "", voucher,
        ]))  # fmt: skip
    lines += [
        FUND_SUMMARY_HEADER,
        _line([str(income_n + expense_n), str(income_n), yuan(income), str(expense_n), yuan(expense)]),
    ]
    return "\r\n".join(lines) + "\r\n"


@dataclass
class BillDownloads:
    """Issued download tokens: each names a file and expires after a few minutes."""

    files: dict[str, tuple[float, bytes, bool]] = field(default_factory=dict)  # token -> (expires, bytes, gzip)
    lock: threading.Lock = field(default_factory=threading.Lock)
    tamper: bool = False  # tests: the next files served differ from their announced hash

    def issue(self, base_url: str, content: str, *, gzipped: bool) -> dict[str, str]:
        data = content.encode("utf-8")
        token = secrets.token_urlsafe(16)
        digest = hashlib.sha1(data).hexdigest()
        if self.tamper:
            data = data.replace(b"SUCCESS", b"SUCCESX", 1) + b" "
        with self.lock:
            self.files[token] = (time.monotonic() + DOWNLOAD_TTL_SECONDS, data, gzipped)
        return {
            "hash_type": "SHA1",
            "hash_value": digest,
            "download_url": f"{base_url}/v3/billdownload/file?token={token}",
        }

    def take(self, token: str) -> bytes | None:
        with self.lock:
            expires, data, gzipped = self.files.get(token, (0.0, b"", False))
        if expires < time.monotonic():
            return None
        return gzip.compress(data, mtime=0) if gzipped else data


def ready_at(day: date) -> datetime:
    """WeChat generates day D's bills from 09:00 on D+1; they are sure to be there after 10:00."""
    return datetime.combine(day + timedelta(days=1), datetime.min.time(), CHINA) + timedelta(hours=10)
