"""Gallery status: photos indexed / pending / failed, versions, and what each worker serves."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect
from django.views import View
from django.views.generic import TemplateView

from gallery import services
from gallery.selectors import gallery_status

from .base import BackOfficeMixin


class GalleryStatusView(BackOfficeMixin, TemplateView):
    permission_required = "backoffice.view_gallery_status"
    template_name = "backoffice/gallery.html"
    extra_context = {"nav": "gallery"}

    def get_context_data(self, **kwargs):
        return super().get_context_data(status=gallery_status(), **kwargs)


class GalleryRetryView(BackOfficeMixin, View):
    """POST: queue every failed or pending photo for embedding again (after fixing the cause)."""

    permission_required = "catalog.add_productimage"

    def post(self, request):
        retried = services.retry_unindexed(actor=request.user)
        if retried.queued:
            messages.success(
                request,
                f"Queued {retried.queued} photos for embedding again "
                f"({retried.failed} failed, {retried.pending} pending).",
            )
        else:
            messages.info(request, "No failed or pending photos: nothing to retry.")
        return redirect("backoffice:gallery")
