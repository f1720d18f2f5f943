"""The Webhooks section of the page "API-Schlüssel": add an endpoint and see its secret once,
remove it, read the delivery log, "Erneut senden"; only for the endpoint's customer."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from portal.errors import Refusal
from portal.models import AuditEvent
from portal.policy import Actor
from tests.api.test_keys import all_database_text
from webhooks import services
from webhooks.models import WebhookDelivery, WebhookEndpoint

KEYS = reverse("api:keys")
ADD = reverse("api:webhook_add")
NEW_SECRET = re.compile(r'<code class="api-key" id="new-secret">(whsec_[A-Za-z0-9+/=]+)</code>')


def field_error(page: str) -> str:
    """The error shown under the URL field (tied to it by its id)."""
    match = re.search(r'<ul class="errorlist" id="id_url_error"><li>(.*?)</li>', page)
    return match.group(1) if match else ""


def test_an_admin_adds_an_endpoint_and_sees_its_secret_once(alice_client, alice, receiver):
    response = alice_client.post(ADD, {"url": receiver.url})
    assert response.status_code == 200
    page = response.content.decode()
    secret = NEW_SECRET.search(page).group(1)
    assert "nur dieses eine Mal angezeigt" in page
    endpoint = WebhookEndpoint.objects.get()
    assert (endpoint.url, endpoint.admin, endpoint.secret) == (receiver.url, alice, secret)
    assert len(services.base64.b64decode(secret.removeprefix("whsec_"))) >= 24
    listing = alice_client.get(KEYS).content.decode()
    assert receiver.url in listing
    assert secret not in listing
    event = AuditEvent.objects.get(action="webhook_created")
    assert (event.customer, event.actor, event.details) == (
        alice.customer,
        alice,
        {"url": receiver.url},
    )


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("http://example.com/hooks", "nur über HTTPS"),
        ("ftp://example.com/hooks", "vollständige Adresse"),
        ("example.com/hooks", "vollständige Adresse"),
        ("https://user:pw@example.com/hooks", "kein Passwort"),
        ("https://10.1.2.3/hooks", "aus dem Internet erreichbar"),
        ("https://169.254.169.254/latest/meta-data", "aus dem Internet erreichbar"),
        ("https://[::1]/hooks", "aus dem Internet erreichbar"),
        ("https://localhost/hooks", "aus dem Internet erreichbar"),
    ],
)
def test_an_address_that_is_not_public_https_is_refused_at_its_field(
    alice_client, settings, url, error
):
    settings.WEBHOOKS_ALLOW_HTTP_LOOPBACK = False
    response = alice_client.post(ADD, {"url": url})
    assert response.status_code == 400
    assert error in field_error(response.content.decode())
    assert not WebhookEndpoint.objects.exists()


def test_plain_http_to_this_machine_only_where_allowed(alice_client, settings):
    settings.WEBHOOKS_ALLOW_HTTP_LOOPBACK = False
    settings.DEBUG = False
    response = alice_client.post(ADD, {"url": "http://127.0.0.1:8080/hooks"})
    assert "nur über HTTPS" in field_error(response.content.decode())
    settings.WEBHOOKS_ALLOW_HTTP_LOOPBACK = True
    assert alice_client.post(ADD, {"url": "http://localhost:8080/hooks"}).status_code == 200
    response = alice_client.post(ADD, {"url": "http://10.0.0.1/hooks"})
    assert "nur über HTTPS" in field_error(response.content.decode())
    assert alice_client.post(ADD, {"url": "https://hooks.example.com/x"}).status_code == 200


def test_an_admin_removes_an_endpoint_after_confirming(alice_client, alice, endpoint_and_secret):
    endpoint, secret = endpoint_and_secret
    url = reverse("api:webhook_remove", args=[endpoint.code])
    confirm = alice_client.get(url)
    assert "Wollen Sie den Webhook-Endpunkt" in confirm.content.decode()
    endpoint.refresh_from_db()
    assert endpoint.revoked_at is None
    assert alice_client.post(url).status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.revoked_at is not None
    assert secret not in all_database_text()
    assert "entfernt am" in alice_client.get(KEYS).content.decode()
    assert AuditEvent.objects.filter(action="webhook_removed", actor=alice).count() == 1


def test_the_log_lists_deliveries_and_sends_a_failed_one_again_under_its_id(
    alice_client, demo_customer, receiver, endpoint_and_secret, django_capture_on_commit_callbacks
):
    receiver.answers = [410]
    with django_capture_on_commit_callbacks(execute=True):
        (row,) = services.queue_event(
            customer_id=demo_customer.pk, event_type="order.status_changed", data={}
        )
    row.refresh_from_db()
    assert row.status == "failed"
    page = alice_client.get(KEYS).content.decode()
    log = page[page.index('id="webhook-deliveries"') :]
    assert "order.status_changed" in log and "Fehlgeschlagen" in log and "410" in log
    resend = reverse("api:webhook_resend", args=[row.code])
    assert resend in log and "Erneut senden" in log
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(resend)
    assert response.status_code == 302
    row.refresh_from_db()
    assert (row.status, row.last_status_code) == ("delivered", 200)
    first, second = receiver.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == row.event_id
    assert resend not in alice_client.get(KEYS).content.decode()


def test_charlie_sees_nothing_of_alices_webhooks_and_changes_nothing(
    alice_client, charlie, charlie_client, demo_customer, endpoint_and_secret
):
    endpoint, _secret = endpoint_and_secret
    (row,) = services.queue_event(customer_id=demo_customer.pk, event_type="order.x", data={})
    WebhookDelivery.objects.filter(pk=row.pk).update(status="failed")
    assert endpoint.url in alice_client.get(KEYS).content.decode()
    page = charlie_client.get(KEYS).content.decode()
    assert endpoint.url not in page and "order.x" not in page
    remove = reverse("api:webhook_remove", args=[endpoint.code])
    resend = reverse("api:webhook_resend", args=[row.code])
    assert charlie_client.get(remove).status_code == 404
    assert charlie_client.post(remove).status_code == 404
    assert charlie_client.post(resend).status_code == 404
    endpoint.refresh_from_db()
    row.refresh_from_db()
    assert (endpoint.revoked_at, row.status) == (None, "failed")
    with pytest.raises(Refusal, match="Nicht gefunden"):
        services.remove_endpoint(actor=Actor.for_admin(charlie), endpoint=endpoint)
    with pytest.raises(Refusal, match="Nicht gefunden"):
        services.resend_delivery(actor=Actor.for_admin(charlie), delivery_row=row)


def test_a_colleague_of_the_same_customer_sees_and_manages_them(bob_client, endpoint_and_secret):
    endpoint, _secret = endpoint_and_secret
    assert endpoint.url in bob_client.get(KEYS).content.decode()
    remove = reverse("api:webhook_remove", args=[endpoint.code])
    assert bob_client.post(remove).status_code == 302
