"""The audit log: price changes, refunds and gallery edits on one paginated timeline."""

from __future__ import annotations

from django import forms
from django.core.paginator import Paginator
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from ..queries import AUDIT_KINDS, audit_entries, audit_timeline
from .base import BackOfficeMixin


class AuditFilterForm(forms.Form):
    kind = forms.ChoiceField(choices=[("", _("Everything")), *AUDIT_KINDS.items()], required=False, label=_("Kind"))
    actor = forms.CharField(required=False, label=_("By user"))
    subject = forms.CharField(required=False, label=_("SKU or order"))
    since = forms.DateField(required=False, label=_("Since"), widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, label=_("Until"), widget=forms.DateInput(attrs={"type": "date"}))


class AuditLogView(BackOfficeMixin, TemplateView):
    permission_required = "backoffice.view_audit_log"
    extra_context = {"nav": "audit"}
    template_name = "backoffice/audit.html"
    per_page = 50

    def get_context_data(self, **kwargs):
        form = AuditFilterForm(self.request.GET or None)
        data = form.cleaned_data if form.is_valid() else {}
        timeline = audit_timeline(
            kinds=[data["kind"]] if data.get("kind") else None,
            actor=data.get("actor", "").strip(),
            subject=data.get("subject", "").strip(),
            since=data.get("since"),
            until=data.get("until"),
        )
        page = Paginator(timeline, self.per_page).get_page(self.request.GET.get("page"))
        return super().get_context_data(form=form, page_obj=page, entries=audit_entries(page), **kwargs)
