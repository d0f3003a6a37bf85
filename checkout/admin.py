from django.contrib import admin

from .models import Recognition


@admin.register(Recognition)
class RecognitionAdmin(admin.ModelAdmin):
    """Read-only: recognitions are the customer's record; corrections happen in the cart API."""

    list_display = ["id", "store", "customer", "status", "total_fen", "min_confidence", "corrected", "created_at"]
    list_filter = ["status", "corrected", "store"]
    readonly_fields = [field.name for field in Recognition._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
