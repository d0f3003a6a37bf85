from django.contrib import admin

from .models import Order, OrderLine, Payment, Refund


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    fields = ["sku", "name", "unit_price_fen", "quantity", "subtotal_fen"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class PaymentInline(admin.TabularInline):
    model = Payment
    extra = 0
    fields = ["out_trade_no", "transaction_id", "amount_fen", "state", "created_at", "paid_at"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class RefundInline(PaymentInline):
    model = Refund
    fields = ["out_refund_no", "refund_id", "amount_fen", "reason", "state", "created_at", "settled_at"]
    readonly_fields = fields


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    """Orders are read-only here: money moves only through the payment services."""

    list_display = ["id", "store", "customer", "status", "total_fen", "refunded_fen", "created_at"]
    list_filter = ["status", "store"]
    search_fields = ["id", "payments__out_trade_no", "customer__openid"]
    date_hierarchy = "created_at"
    list_select_related = ["store", "customer"]
    inlines = [OrderLineInline, PaymentInline, RefundInline]
    readonly_fields = [f.name for f in Order._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = ["out_trade_no", "order", "amount_fen", "state", "transaction_id", "created_at", "paid_at"]
    list_filter = ["state"]
    search_fields = ["out_trade_no", "transaction_id"]
    readonly_fields = [f.name for f in Payment._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(Refund)
class RefundAdmin(admin.ModelAdmin):
    list_display = ["out_refund_no", "order", "amount_fen", "state", "created_at", "settled_at"]
    list_filter = ["state"]
    search_fields = ["out_refund_no", "refund_id"]
    readonly_fields = [f.name for f in Refund._meta.fields]

    def has_add_permission(self, request):
        return False
