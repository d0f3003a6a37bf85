"""Admin building blocks shared by the apps."""

from django.contrib import admin


class AppendOnlyLogAdmin(admin.ModelAdmin):
    """An audit log (price history, gallery changes): readable in the admin, never added, edited or deleted."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
