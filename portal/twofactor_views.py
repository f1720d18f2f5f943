"""The second step of the login (a code) and the setup of the second factor.

:class:`~portal.middleware.SecondFactorMiddleware` sends a session that still owes the
second factor here, before any other page.
"""

from __future__ import annotations

import django_otp
from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

from portal import twofactor
from portal.access import client_ip
from portal.errors import Refusal


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


#: Whether the customer required the second factor when the session logged in.
REQUIRED_SESSION_KEY = "second_factor_required"


def remember_requirement(request: HttpRequest) -> None:
    """At login: keep in the session whether the user's customer requires the second factor
    (the gate reads it on every request without a query)."""
    request.session[REQUIRED_SESSION_KEY] = twofactor.required(request.user)


def pending_step(request: HttpRequest) -> str | None:
    return twofactor.pending_step(
        request.user, customer_requires=request.session.get(REQUIRED_SESSION_KEY, False)
    )


def _next_url(request: HttpRequest) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return "admin:index" if request.user.is_staff else "manage:dashboard"


def _show(form: CodeForm, error: Refusal) -> None:
    for problem in error.problems:
        form.add_error("code", problem.message)


@login_required
def code_step(request: HttpRequest) -> HttpResponse:
    """ "Code eingeben": the app's current code, or one of the recovery codes."""
    if pending_step(request) != twofactor.CODE:
        return redirect(_next_url(request))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = twofactor.verified_device(user=request.user, code=form.cleaned_data["code"])
        except Refusal as error:
            _show(form, error)
        else:
            django_otp.login(request, device)
            return redirect(_next_url(request))
    context = {"form": form, "next": request.POST.get("next") or request.GET.get("next", "")}
    status = 400 if form.errors else 200
    return render(request, "portal/two_factor_code.html", context, status=status)


@login_required
def setup(request: HttpRequest) -> HttpResponse:
    """Set up the app: the QR code and the key, confirmed with a first code; then the
    recovery codes, shown this once."""
    user = request.user
    if user.two_factor and not user.is_verified():
        return redirect("portal:two_factor_code")
    device = twofactor.setup_device(user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = twofactor.confirm_setup(
                user=user, code=form.cleaned_data["code"], remote_addr=client_ip(request)
            )
        except Refusal as error:
            _show(form, error)
        else:
            django_otp.login(request, twofactor.confirmed_device(user))
            context = {"codes": codes, "next": resolve_url(_next_url(request))}
            return render(request, "portal/two_factor_codes.html", context)
    context = {
        "form": form,
        "qr": twofactor.qr_svg(device),
        "key": twofactor.manual_key(device),
        "required": twofactor.required(user),
    }
    return render(
        request, "portal/two_factor_setup.html", context, status=400 if form.errors else 200
    )
