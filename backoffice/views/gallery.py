"""Gallery status: photos indexed / pending / failed, versions, and what each worker serves."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from gallery import services
from gallery.selectors import gallery_status

from .base import BackOfficeMixin

# A worker silent this long is gone for good (restarted under a new pid, or the host is gone):
# the page counts it but stops listing it.
FORGET_WORKERS_AFTER = timedelta(days=1)


class GalleryStatusView(BackOfficeMixin, TemplateView):
    permission_required = "backoffice.view_gallery_status"
    template_name = "backoffice/gallery.html"
    extra_context = {"nav": "gallery"}

    def get_context_data(self, **kwargs):
        status = gallery_status()
        cutoff = timezone.now() - FORGET_WORKERS_AFTER
        listed = [w for w in status["workers"] if w["alive"] or w["heartbeat_at"] >= cutoff]
        return super().get_context_data(
            status=status, workers=listed, forgotten_workers=len(status["workers"]) - len(listed), **kwargs
        )


class GalleryRetryView(BackOfficeMixin, View):
    """POST: queue every failed or pending photo for embedding again (after fixing the cause)."""

    permission_required = "catalog.add_productimage"

    def post(self, request):
        retried = services.retry_unindexed(actor=request.user)
        if retried.queued:
            said = _("Queued %(queued)s photos for embedding again (%(failed)s failed, %(pending)s pending).")
            messages.success(
                request, said % {"queued": retried.queued, "failed": retried.failed, "pending": retried.pending}
            )
        else:
            messages.info(request, _("No failed or pending photos: nothing to retry."))
        return redirect("backoffice:gallery")
