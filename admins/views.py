"""The page "Administratoren": the customer's admins, their roles and trunks (full
administrators only; the policy says who that is)."""

from __future__ import annotations

import functools

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from admins import invitations, services
from admins.access import get_admin_for
from admins.forms import RoleForm
from portal import twofactor
from portal.access import actor_of, client_ip, customer_of, reach_required
from portal.errors import Refusal
from portal.models import User
from workplaces.fields import show


def run_form_command(request: HttpRequest, form, command, done: str) -> HttpResponse | None:
    """Run the form's command: back to the list with ``done``, or None with the refusal's
    messages on the form."""
    try:
        command()
    except Refusal as error:
        show(form, error)
        return None
    messages.success(request, done)
    return redirect("admins:list")


@reach_required(User)
def admin_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    context = {
        "admins": services.admins_of(actor),
        "invitations": invitations.open_invitations(actor),
        "require_two_factor": customer_of(request).require_two_factor,
    }
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
        done = _("Die Rechte von %(username)s sind gespeichert.") % {"username": username}
        command = functools.partial(
            services.change_admin,
            actor=actor_of(request),
            admin=admin,
            role=data["role"],
            limited=data["limited"],
            trunks=data["trunks"],
            remote_addr=client_ip(request),
        )
        if (response := run_form_command(request, form, command, done)) is not None:
            return response
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


@require_POST
@reach_required(User)
def two_factor_requirement(request: HttpRequest) -> HttpResponse:
    """The customer setting "Zwei-Faktor-Anmeldung für alle Administratoren"."""
    required = request.POST.get("require_two_factor") == "on"
    twofactor.set_requirement(
        actor=actor_of(request), required=required, remote_addr=client_ip(request)
    )
    if required:
        done = _("Ab der nächsten Anmeldung brauchen alle Administratoren einen zweiten Faktor.")
    else:
        done = _("Ein zweiter Faktor ist nicht mehr für alle Administratoren Pflicht.")
    messages.success(request, done)
    return redirect("admins:list")


@require_POST
@reach_required(User)
def reset_two_factor(request: HttpRequest, username: str) -> HttpResponse:
    """A lost phone: the admin logs in with the password alone, or sets it up again."""
    admin = get_admin_for(request, username)
    twofactor.reset_two_factor(actor=actor_of(request), admin=admin, remote_addr=client_ip(request))
    messages.success(
        request,
        _("Die Zwei-Faktor-Anmeldung von %(username)s ist zurückgesetzt.") % {"username": username},
    )
    return redirect("admins:list")
