"""The customers: WeChat users who log in through the mini-program or the web checkout."""

from __future__ import annotations

from django.db import models


class Customer(models.Model):
    """A WeChat user of one app.  Only public identifiers are stored; no session key."""

    app_id = models.CharField(max_length=32)
    openid = models.CharField(max_length=64)
    unionid = models.CharField(max_length=64, null=True, blank=True, db_index=True)
    nickname = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_login_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "orders_customer"  # made by the orders app before the model moved here
        constraints = [models.UniqueConstraint(fields=["app_id", "openid"], name="customer_unique_app_openid")]

    def __str__(self) -> str:
        return f"{self.app_id}:{self.openid}"
