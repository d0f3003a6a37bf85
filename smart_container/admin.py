"""Admin building blocks shared by the apps."""

from django.contrib import admin


class AppendOnlyLogAdmin(admin.ModelAdmin):
    """An audit log or money record (price history, gallery changes, bills, reconciliation runs):
    readable in the admin, never added, edited or deleted there."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
