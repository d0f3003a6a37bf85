"""``manage.py reconcile [--date YYYY-MM-DD]``: reconcile a day with WeChat Pay's bills by hand."""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from smart_container.errors import DomainError

from ...services import reconcile_day


def _yuan(fen: int | None) -> str:
    if fen is None:
        return "-"
    sign = "-" if fen < 0 else ""
    return f"{sign}¥{abs(fen) // 100}.{abs(fen) % 100:02d}"


class Command(BaseCommand):
    help = "Reconcile a day (default: yesterday, Beijing time) with WeChat Pay's trade and fund-flow bills."

    def add_arguments(self, parser):
        parser.add_argument("--date", type=date.fromisoformat, help="The day, YYYY-MM-DD (default: yesterday).")

    def handle(self, *args, date=None, **options):
        try:
            run = reconcile_day(date)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        out = self.stdout.write
        out(f"{run.day}: {run.state}")
        out(f"  trade bill      sha1 {run.trade_bill_hash or '-'}")
        out(f"  fund-flow bill  sha1 {run.fund_flow_bill_hash or '-'}")
        out(f"  bill rows       {run.bill_payments} payments, {run.bill_refunds} refunds")
        out(f"  ours            {run.local_payments} paid payments, {run.local_refunds} settled refunds")
        out(f"  matched         {run.matched}")
        out(
            f"  gross {_yuan(run.gross_fen)}  refunds {_yuan(run.refunds_fen)}  fee {_yuan(run.fee_fen)}"
            f"  net {_yuan(run.net_fen)}  fund flow net {_yuan(run.fund_flow_net_fen)}"
        )
        for d in run.discrepancies.all():
            status = "OPEN" if d.is_open else "resolved"
            out(
                f"  {status:8} {d.kind} {d.reference}: {d.resolution}"
                f" (WeChat {_yuan(d.wechat_fen)} {d.wechat_state}, ours {_yuan(d.local_fen)} {d.local_state})"
            )
