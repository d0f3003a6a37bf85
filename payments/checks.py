"""The one check of what WeChat Pay reports (a notification or a query) against our records."""

from __future__ import annotations

from collections.abc import Mapping

from django.conf import settings

from orders.models import Payment, Refund

from .gateway import RefundState, TransactionState


def disagreements(reported: Mapping[str, object], ours: Mapping[str, object]) -> list[str]:
    """Each field where WeChat's record is not ours, named for the log and the refusal."""
    return [
        f"{name} {_shown(name, reported[name])} is not ours ({_shown(name, expected)})"
        for name, expected in ours.items()
        if reported[name] != expected
    ]


def _shown(name: str, value: object) -> str:
    return f"{value} fen" if name == "amount" else repr(value)


def transaction_disagreements(payment: Payment, state: TransactionState) -> list[str]:
    """A transaction must be for our app and merchant, this payment, and the amount we asked for."""
    return disagreements(
        {
            "appid": state.app_id,
            "mchid": state.mch_id,
            "out_trade_no": state.out_trade_no,
            "amount": state.amount_fen,
        },
        {
            "appid": settings.WECHAT_APP_ID,
            "mchid": settings.WECHATPAY_MCH_ID,
            "out_trade_no": payment.out_trade_no,
            "amount": payment.amount_fen,
        },
    )


def refund_disagreements(refund: Refund, state: RefundState, *, check_merchant: bool = True) -> list[str]:
    """A refund must be for our merchant, this refund's payment, and the amount we asked for."""
    reported = {"out_trade_no": state.out_trade_no, "amount": state.amount_fen}
    ours = {"out_trade_no": refund.payment.out_trade_no, "amount": refund.amount_fen}
    if check_merchant:
        reported["mchid"], ours["mchid"] = state.mch_id, settings.WECHATPAY_MCH_ID
    return disagreements(reported, ours)
