"""The page "API-Schlüssel": a customer admin's keys for the JSON API, and the webhooks."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from api import services
from api.forms import ApiKeyForm
from api.models import ApiKey
from portal import policy
from portal.access import actor_of, get_scoped, reach_required
from portal.errors import Refusal
from webhooks import services as webhook_services
from webhooks.forms import WebhookEndpointForm
from webhooks.models import WebhookDelivery, WebhookEndpoint
from workplaces.fields import show

#: How many of the latest webhook deliveries the page lists.
DELIVERY_LOG_LENGTH = 25


def _page(
    request: HttpRequest,
    form: ApiKeyForm | None = None,
    *,
    new_key: str = "",
    endpoint_form: WebhookEndpointForm | None = None,
    new_secret: str = "",
    status: int = 200,
):
    actor = actor_of(request)
    keys = policy.visible(actor, ApiKey.objects.select_related("admin"))
    endpoints = policy.visible(actor, WebhookEndpoint.objects.select_related("admin"))
    deliveries = policy.visible(
        actor, WebhookDelivery.objects.select_related("endpoint__admin")
    ).order_by("-created_at", "-id")[:DELIVERY_LOG_LENGTH]
    context = {
        "form": form or ApiKeyForm(),
        "keys": keys,
        "new_key": new_key,
        "endpoint_form": endpoint_form or WebhookEndpointForm(),
        "endpoints": endpoints,
        "deliveries": deliveries,
        "new_secret": new_secret,
    }
    return render(request, "api/keys.html", context, status=status)


@reach_required(ApiKey)
def keys(request: HttpRequest) -> HttpResponse:
    """List the customer's keys; POST makes one and shows it, this once."""
    if request.method != "POST":
        return _page(request)
    form = ApiKeyForm(request.POST)
    if form.is_valid():
        try:
            _key, raw_key = services.create_api_key(
                actor=actor_of(request), name=form.cleaned_data["name"]
            )
        except Refusal as refusal:
            show(form, refusal)
        else:
            return _page(request, new_key=raw_key)
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


@reach_required(WebhookEndpoint)
@require_POST
def webhook_add(request: HttpRequest) -> HttpResponse:
    """Add a webhook endpoint and show its secret, this once."""
    form = WebhookEndpointForm(request.POST)
    if form.is_valid():
        try:
            _endpoint, secret = webhook_services.create_endpoint(
                actor=actor_of(request), url=form.cleaned_data["url"]
            )
        except Refusal as refusal:
            show(form, refusal)
        else:
            return _page(request, new_secret=secret)
    return _page(request, endpoint_form=form, status=400)


@reach_required(WebhookEndpoint)
def webhook_remove(request: HttpRequest, code: str) -> HttpResponse:
    """GET asks for confirmation; POST removes the endpoint."""
    endpoint = get_scoped(WebhookEndpoint.objects.select_related("admin"), request, code)
    if request.method == "POST":
        webhook_services.remove_endpoint(actor=actor_of(request), endpoint=endpoint)
        messages.success(
            request, _("Der Webhook-Endpunkt %(url)s wurde entfernt.") % {"url": endpoint.url}
        )
        return redirect("api:keys")
    return render(request, "api/webhook_remove.html", {"endpoint": endpoint})


@reach_required(WebhookEndpoint)
@require_POST
def webhook_resend(request: HttpRequest, code: str) -> HttpResponse:
    """ "Erneut senden": a failed delivery goes out again under the same event id."""
    row = get_scoped(WebhookDelivery.objects.select_related("endpoint__admin"), request, code)
    try:
        resent = webhook_services.resend_delivery(actor=actor_of(request), delivery_row=row)
    except Refusal as refusal:
        messages.error(request, str(refusal))
    else:
        if resent:
            messages.success(request, _("Das Ereignis wird erneut gesendet."))
    return redirect("api:keys")
