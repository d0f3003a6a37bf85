"""The three merchant roles and what each may do: the single definition, used by the
data migration that creates the groups and by the staff page that assigns them."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

OWNER, MANAGER, CASHIER = "owner", "manager", "cashier"
ROLES = (OWNER, MANAGER, CASHIER)
# Least privilege first: forms offer (and default to) the cashier.
ROLE_CHOICES = [(CASHIER, _("Cashier")), (MANAGER, _("Manager")), (OWNER, _("Owner"))]
ROLE_LABELS = dict(ROLE_CHOICES)

CASHIER_PERMISSIONS = [
    "catalog.view_product",
    "catalog.view_productimage",
    "catalog.view_store",
    "orders.view_order",
    "orders.view_refund",
]
MANAGER_PERMISSIONS = [
    *CASHIER_PERMISSIONS,
    "catalog.add_product",
    "catalog.change_product",
    "catalog.add_productimage",
    "catalog.delete_productimage",
    "catalog.view_pricechange",
    "orders.add_refund",
    "backoffice.view_dashboard",
    "backoffice.export_orders",
    "backoffice.review_recognitions",
    "backoffice.view_gallery_status",
    "backoffice.view_audit_log",
    "reconciliation.view_reconciliationrun",
    "reconciliation.view_discrepancy",
    "reconciliation.change_discrepancy",
]
OWNER_PERMISSIONS = [
    *MANAGER_PERMISSIONS,
    "backoffice.manage_staff",
    "auth.view_user",
    "auth.add_user",
    "auth.change_user",
]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    OWNER: OWNER_PERMISSIONS,
    MANAGER: MANAGER_PERMISSIONS,
    CASHIER: CASHIER_PERMISSIONS,
}


def sync_role_groups(group_model, permission_model) -> None:
    """Create the role groups and set exactly the permissions above (models may be historical)."""
    for role, names in ROLE_PERMISSIONS.items():
        group, _ = group_model.objects.get_or_create(name=role)
        wanted = []
        for name in names:
            app_label, codename = name.split(".")
            wanted.append(permission_model.objects.get(content_type__app_label=app_label, codename=codename))
        group.permissions.set(wanted)
