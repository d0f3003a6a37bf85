from django.contrib import admin

from .models import Customer


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["id", "app_id", "openid", "nickname", "created_at", "last_login_at"]
    search_fields = ["openid", "unionid", "nickname"]
    readonly_fields = ["app_id", "openid", "unionid", "created_at", "last_login_at"]
