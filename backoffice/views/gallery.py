"""Gallery status: photos indexed / pending / failed, versions, and what each worker serves."""

from __future__ import annotations

from django.views.generic import TemplateView

from gallery.status import gallery_status

from .base import BackOfficeMixin


class GalleryStatusView(BackOfficeMixin, TemplateView):
    permission_required = "backoffice.view_gallery_status"
    template_name = "backoffice/gallery.html"
    extra_context = {"nav": "gallery"}

    def get_context_data(self, **kwargs):
        return super().get_context_data(status=gallery_status(), **kwargs)
