from django.contrib import admin

from .models import DailySalesSummary


@admin.register(DailySalesSummary)
class DailySalesSummaryAdmin(admin.ModelAdmin):
    list_display = ["day", "store", "orders", "items", "gross_fen", "refunded_fen", "computed_at"]
    list_filter = ["store"]
    date_hierarchy = "day"
    readonly_fields = [f for f in list_display if f != "store"]
