"""The page "API-Schlüssel": a customer admin's keys for the JSON API."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from api import services
from api.forms import ApiKeyForm
from api.models import ApiKey
from portal import policy
from portal.access import actor_of, get_scoped, reach_required
from portal.errors import Refusal


def _page(request: HttpRequest, form: ApiKeyForm, *, new_key: str = "", status: int = 200):
    keys = policy.visible(actor_of(request), ApiKey.objects.select_related("admin"))
    context = {"form": form, "keys": keys, "new_key": new_key}
    return render(request, "api/keys.html", context, status=status)


@reach_required(ApiKey)
def keys(request: HttpRequest) -> HttpResponse:
    """List the customer's keys; POST makes one and shows it, this once."""
    if request.method != "POST":
        return _page(request, ApiKeyForm())
    form = ApiKeyForm(request.POST)
    if form.is_valid():
        try:
            _key, raw_key = services.create_api_key(
                actor=actor_of(request), name=form.cleaned_data["name"]
            )
        except Refusal as refusal:
            for problem in refusal.problems:
                form.add_error(
                    problem.field if problem.field in form.fields else None, problem.message
                )
        else:
            return _page(request, ApiKeyForm(), new_key=raw_key)
    return _page(request, form, status=400)


@reach_required(ApiKey)
def revoke(request: HttpRequest, code: str) -> HttpResponse:
    """GET asks for confirmation; POST revokes."""
    api_key = get_scoped(ApiKey.objects.select_related("admin"), request, code)
    if request.method == "POST":
        services.revoke_api_key(actor=actor_of(request), api_key=api_key)
        messages.success(
            request, _("Der API-Schlüssel „%(name)s“ wurde widerrufen.") % {"name": api_key.name}
        )
        return redirect("api:keys")
    return render(request, "api/revoke.html", {"api_key": api_key})
