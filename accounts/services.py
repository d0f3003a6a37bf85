"""Customer login: WeChat says who it is, we find or create the Customer and hand out our tokens."""

from __future__ import annotations

from django.utils import timezone

from accounts.models import Customer

from . import tokens, wechat


def login_with_wechat_code(code: str) -> tuple[Customer, tokens.TokenPair]:
    identity = wechat.code2session(code)
    # get_or_create takes the row the other one created when two first logins of one user race
    customer, _ = Customer.objects.get_or_create(app_id=identity.app_id, openid=identity.openid)
    customer.last_login_at = timezone.now()
    update = ["last_login_at"]
    if identity.unionid and customer.unionid != identity.unionid:
        customer.unionid = identity.unionid
        update.append("unionid")
    customer.save(update_fields=update)
    return customer, tokens.issue_tokens(customer.pk)
