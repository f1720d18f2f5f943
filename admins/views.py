"""The page "Administratoren": the customer's admins, their roles and trunks (full
administrators only; the policy says who that is)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from admins import services
from admins.access import get_admin_for
from admins.forms import RoleForm
from portal.access import actor_of, client_ip, reach_required
from portal.errors import Refusal
from portal.models import User
from workplaces.fields import show


@reach_required(User)
def admin_list(request: HttpRequest) -> HttpResponse:
    context = {"admins": services.admins_of(actor_of(request))}
    return render(request, "admins/list.html", context)


def _initial(admin: User) -> dict:
    return {
        "role": admin.admin_role,
        "limited": admin.limited_to_trunks,
        "trunks": list(admin.trunks.all()),
    }


@reach_required(User)
def edit(request: HttpRequest, username: str) -> HttpResponse:
    """Role and trunks of one admin."""
    admin = get_admin_for(request, username)
    form = RoleForm(request.POST or None, initial=_initial(admin), customer_id=admin.customer_id)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            trunks = services.checked_trunks(
                customer_id=admin.customer_id, limited=data["limited"], trunks=data["trunks"]
            )
            services.change_admin(
                actor=actor_of(request),
                admin=admin,
                role=data["role"],
                trunks=trunks,
                remote_addr=client_ip(request),
            )
        except Refusal as error:
            show(form, error)
        else:
            messages.success(
                request, _("Die Rechte von %(username)s sind gespeichert.") % {"username": username}
            )
            return redirect("admins:list")
    return render(request, "admins/edit.html", {"admin": admin, "form": form})


@reach_required(User)
def deactivate(request: HttpRequest, username: str) -> HttpResponse:
    """GET asks for confirmation; POST deactivates."""
    admin = get_admin_for(request, username)
    error = ""
    if request.method == "POST":
        try:
            services.deactivate_admin(
                actor=actor_of(request), admin=admin, remote_addr=client_ip(request)
            )
        except Refusal as refusal:
            error = refusal.message
        else:
            messages.success(request, _("%(username)s ist deaktiviert.") % {"username": username})
            return redirect("admins:list")
    status = 400 if error else 200
    return render(
        request, "admins/deactivate.html", {"admin": admin, "error": error}, status=status
    )
