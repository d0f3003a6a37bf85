"""Staff accounts and their role (owners only)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.generic import FormView, View

from ..forms import StaffCreateForm, StaffRoleForm
from ..roles import ROLE_CHOICES, ROLE_LABELS, ROLES
from .base import BackOfficeMixin

User = get_user_model()


def role_of(user) -> str:
    return next((g.name for g in user.groups.all() if g.name in ROLES), "")


@transaction.atomic
def set_role(user, role: str) -> None:
    """A person has exactly one back-office role."""
    user.groups.remove(*Group.objects.filter(name__in=ROLES).exclude(name=role))
    user.groups.add(Group.objects.get(name=role))


class StaffView(BackOfficeMixin, FormView):
    permission_required = "backoffice.manage_staff"
    extra_context = {"nav": "staff"}
    template_name = "backoffice/staff.html"
    form_class = StaffCreateForm

    def get_context_data(self, **kwargs):
        people = User.objects.order_by("username").prefetch_related(
            Prefetch("groups", queryset=Group.objects.filter(name__in=ROLES))
        )
        rows = [(person, role_of(person)) for person in people]
        return super().get_context_data(people=rows, roles=ROLE_CHOICES, **kwargs)

    def form_valid(self, form):
        with transaction.atomic():
            user = form.save()
            set_role(user, form.cleaned_data["role"])
        role = ROLE_LABELS[form.cleaned_data["role"]]
        messages.success(self.request, _("Added %(user)s as %(role)s.") % {"user": user.username, "role": role})
        return redirect("backoffice:staff")


class StaffRoleView(BackOfficeMixin, View):
    permission_required = "backoffice.manage_staff"

    def post(self, request, pk):
        person = get_object_or_404(User, pk=pk)
        form = StaffRoleForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Choose a role."))
        elif person == request.user and (form.cleaned_data["role"] != "owner" or not form.cleaned_data["is_active"]):
            messages.error(request, _("You cannot demote or lock out yourself; ask another owner."))
        else:
            set_role(person, form.cleaned_data["role"])
            person.is_active = form.cleaned_data["is_active"]
            person.save(update_fields=["is_active"])
            role = ROLE_LABELS[form.cleaned_data["role"]]
            messages.success(request, _("%(user)s is now %(role)s.") % {"user": person.username, "role": role})
        return redirect("backoffice:staff")
