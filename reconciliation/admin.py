from django.contrib import admin

from smart_container.admin import AppendOnlyLogAdmin

from .models import Bill, Discrepancy, ReconciliationRun

# Money records: shown, never edited here (staff resolve discrepancies on the back-office page).


@admin.register(Bill)
class BillAdmin(AppendOnlyLogAdmin):
    list_display = ("day", "kind", "state", "hash_value", "fetched_at")


@admin.register(ReconciliationRun)
class ReconciliationRunAdmin(AppendOnlyLogAdmin):
    list_display = ("day", "state", "bill_payments", "bill_refunds", "gross_fen", "refunds_fen", "fee_fen", "net_fen")


@admin.register(Discrepancy)
class DiscrepancyAdmin(AppendOnlyLogAdmin):
    list_display = ("run", "kind", "reference", "resolution", "is_open")
