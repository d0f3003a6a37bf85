"""What every back-office page shares: login, a permission per page, the stores' time zone."""

from __future__ import annotations

from django.contrib.auth.mixins import PermissionRequiredMixin
from django.contrib.auth.views import redirect_to_login
from django.template.response import TemplateResponse
from django.urls import reverse_lazy
from django.utils import timezone

from reports.queries import local_tz


class BackOfficeMixin(PermissionRequiredMixin):
    """Anonymous visitors go to the login page; a signed-in user without the page's
    permission gets a 403 page (not the API's JSON error)."""

    login_url = reverse_lazy("backoffice:login")

    def dispatch(self, request, *args, **kwargs):
        with timezone.override(local_tz()):
            response = super().dispatch(request, *args, **kwargs)
            if isinstance(response, TemplateResponse):
                response.render()  # inside the override: dates shown in the stores' time zone
            return response

    def handle_no_permission(self):
        if not self.request.user.is_authenticated:
            return redirect_to_login(self.request.get_full_path(), self.get_login_url())
        return TemplateResponse(self.request, "backoffice/forbidden.html", status=403)
