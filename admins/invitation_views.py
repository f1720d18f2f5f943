"""Invitations: "Administrator einladen", re-send and revoke (full administrators), and the
page where the invitee accepts (anyone with the link).

The link's token moves from the URL into the session at once, and the accept page has a URL
without it: the token does not reach another site's logs through the Referer.
"""

from __future__ import annotations

import functools

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from admins import invitations
from admins.access import get_invitation_for
from admins.forms import AcceptForm, InvitationForm
from admins.views import run_form_command
from portal import twofactor_views
from portal.access import actor_of, client_ip, reach_required
from portal.errors import Refusal
from portal.models import User
from workplaces.fields import show

TOKEN_SESSION_KEY = "admin_invitation_token"  # noqa: S105 (a session key's name)
LOGIN_BACKEND = "workplaces.myportal.backends.PasswordBackend"


@reach_required(User)
def invite(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    form = InvitationForm(request.POST or None, customer_id=actor.customer_id)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done = _("Die Einladung an %(email)s ist unterwegs.") % {"email": data["email"]}
        command = functools.partial(
            invitations.invite_admin,
            actor=actor,
            email=data["email"],
            role=data["role"],
            limited=data["limited"],
            trunks=data["trunks"],
            remote_addr=client_ip(request),
        )
        if (response := run_form_command(request, form, command, done)) is not None:
            return response
    context = {"form": form, "invite_hours": settings.ADMIN_INVITE_HOURS}
    return render(request, "admins/invite.html", context)


def _on_invitation(request: HttpRequest, code: str, command, done: str) -> HttpResponse:
    invitation = get_invitation_for(request, code)
    try:
        command(actor=actor_of(request), invitation=invitation, remote_addr=client_ip(request))
    except Refusal as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done % {"email": invitation.email})
    return redirect("admins:list")


@require_POST
@reach_required(User)
def resend(request: HttpRequest, code: str) -> HttpResponse:
    done = _("Die Einladung an %(email)s ist erneut unterwegs, mit einem neuen Link.")
    return _on_invitation(request, code, invitations.resend_invitation, done)


@require_POST
@reach_required(User)
def revoke(request: HttpRequest, code: str) -> HttpResponse:
    done = _("Die Einladung an %(email)s ist widerrufen.")
    return _on_invitation(request, code, invitations.revoke_invitation, done)


def open_link(request: HttpRequest, token: str) -> HttpResponse:
    """The link from the e-mail: keep the token in the session, then the page without it."""
    request.session[TOKEN_SESSION_KEY] = token
    return redirect("invitation:accept")


def accept(request: HttpRequest) -> HttpResponse:
    """Choose a username and a password; then the new admin is logged in."""
    token = request.session.get(TOKEN_SESSION_KEY, "")
    try:
        invitation = invitations.invitation_by_token(token)
    except Refusal as error:
        return render(request, "admins/accept_refused.html", {"error": error}, status=410)
    form = AcceptForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = invitations.accept_invitation(
                token=token, username=data["username"], password=data["password"]
            )
        except Refusal as error:
            show(form, error)
        else:
            del request.session[TOKEN_SESSION_KEY]
            login(request, user, backend=LOGIN_BACKEND)
            twofactor_views.remember_requirement(request)
            messages.success(request, _("Willkommen! Sie sind jetzt angemeldet."))
            return redirect("manage:dashboard")
    context = {"form": form, "invitation": invitation}
    return render(request, "admins/accept.html", context, status=400 if form.errors else 200)
