from django.contrib import admin

from .models import Bill, Discrepancy, ReconciliationRun


class ReadOnlyAdmin(admin.ModelAdmin):
    """Money records: shown, never edited here (staff resolve discrepancies on the back-office page)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Bill)
class BillAdmin(ReadOnlyAdmin):
    list_display = ("day", "kind", "state", "hash_value", "fetched_at")


@admin.register(ReconciliationRun)
class ReconciliationRunAdmin(ReadOnlyAdmin):
    list_display = ("day", "state", "bill_payments", "bill_refunds", "gross_fen", "refunds_fen", "fee_fen", "net_fen")


@admin.register(Discrepancy)
class DiscrepancyAdmin(ReadOnlyAdmin):
    list_display = ("run", "kind", "reference", "resolution", "is_open")
