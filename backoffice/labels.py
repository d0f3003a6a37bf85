"""Codes the database stores in English, as the back office shows them: in the page's language.

Anything not listed (a reason a person typed) is shown as it was written.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

EMBEDDING_STATUS = {"pending": _("pending"), "indexed": _("indexed"), "failed": _("failed")}
PRICE_SOURCE = {"api": _("API"), "admin": _("admin"), "backoffice": _("back office"), "import": _("import")}
# The reasons gallery code writes into its change log.
GALLERY_REASON = {
    "photo embedded": _("photo embedded"),
    "photo uploaded": _("photo uploaded"),
    "photo deleted": _("photo deleted"),
    "product deactivated": _("product deactivated"),
    "product reactivated": _("product reactivated"),
    "SKU changed": _("SKU changed"),
    "embedding failed": _("embedding failed"),
    "deleted in the back office": _("deleted in the back office"),
    "changed in the back office": _("changed in the back office"),
}
GALLERY_OP = {"add": _("added photo #%(id)s"), "remove": _("removed photo #%(id)s")}


def label(labels: dict, code: str) -> str:
    return str(labels.get(code, code))
