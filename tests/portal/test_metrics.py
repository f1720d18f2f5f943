"""``/metrics``: who may read it, and that the portal's own figures move with what happens."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from prometheus_client.parser import text_string_to_metric_families

from orders.models import Order
from orders.services import cart_of
from tests.wizard_helpers import complete_draft

TOKEN = "metrics-token-0123456789abcdef"
FOREIGN = "203.0.113.7"


@pytest.fixture(autouse=True)
def _metrics_settings(settings):
    settings.METRICS_TOKEN = TOKEN


def scrape() -> str:
    response = Client().get("/metrics")  # the test client connects from 127.0.0.1
    assert response.status_code == 200
    return response.content.decode()


def samples(text: str) -> dict[tuple[str, frozenset], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(text: str, name: str, **labels: str) -> float:
    return samples(text).get((name, frozenset(labels.items())), 0.0)


def test_a_foreign_address_without_the_token_is_refused(db):
    assert Client(REMOTE_ADDR=FOREIGN).get("/metrics").status_code == 404


@pytest.mark.parametrize("header", ["Bearer wrong-token", f"Basic {TOKEN}", "Bearer "])
def test_a_wrong_token_is_refused(db, header):
    client = Client(REMOTE_ADDR=FOREIGN, HTTP_AUTHORIZATION=header)
    assert client.get("/metrics").status_code == 404


def test_x_forwarded_for_does_not_make_a_foreign_address_local(db, settings):
    settings.TRUSTED_PROXIES = ()
    client = Client(REMOTE_ADDR=FOREIGN, HTTP_X_FORWARDED_FOR="127.0.0.1")
    assert client.get("/metrics").status_code == 404


def test_the_token_opens_metrics_from_anywhere(db):
    client = Client(REMOTE_ADDR=FOREIGN, HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert "portal_outbox_backlog" in response.content.decode()


def test_no_token_is_needed_from_loopback_nor_a_token_is_accepted_when_unset(db, settings):
    assert Client(REMOTE_ADDR="::1").get("/metrics").status_code == 200
    settings.METRICS_TOKEN = ""
    client = Client(REMOTE_ADDR=FOREIGN, HTTP_AUTHORIZATION="Bearer ")
    assert client.get("/metrics").status_code == 404


def test_a_scrape_of_the_web_process_over_http_is_not_redirected_to_https(db, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert Client().get("/metrics").status_code == 200
    assert Client().get(reverse("portal:healthz")).status_code == 301


def test_the_allowed_networks_come_from_the_setting(db, settings):
    import ipaddress

    settings.METRICS_ALLOWED_NETWORKS = (ipaddress.ip_network("203.0.113.0/24"),)
    assert Client(REMOTE_ADDR=FOREIGN).get("/metrics").status_code == 200
    assert Client().get("/metrics").status_code == 404  # loopback is no longer in the list


def test_an_order_placed_and_processed_moves_the_order_and_message_counters(
    alice_client, alice, trunk, django_capture_on_commit_callbacks
):
    complete_draft(alice_client, trunk)
    before = scrape()
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(reverse("orders:place"), {"token": cart_of(alice).token})
    assert Order.objects.get().status == "completed"
    after = scrape()
    for status in ("received", "processing", "completed"):
        name, labels = "portal_order_status_changes_total", {"status": status}
        assert value(after, name, **labels) == value(before, name, **labels) + 1
    for channel in ("sms", "email"):  # the password by SMS, the welcome e-mail
        sent = {"channel": channel, "outcome": "sent"}
        assert value(after, "portal_message_deliveries_total", **sent) == (
            value(before, "portal_message_deliveries_total", **sent) + 1
        )
    sent = {"outbox": "notification", "outcome": "sent"}
    assert value(after, "portal_outbox_results_total", **sent) == (
        value(before, "portal_outbox_results_total", **sent) + 2
    )
    for histogram in ("portal_order_completed_seconds", "portal_order_messages_sent_seconds"):
        count = f"{histogram}_count"
        assert value(after, count) == value(before, count) + 1
    assert value(after, "portal_outbox_backlog", outbox="notification") == 0
    assert value(after, "portal_orders_processing") == 0


def test_the_backlog_and_stuck_orders_are_read_from_the_database(alice, demo_customer):
    import uuid
    from decimal import Decimal

    Order.objects.create(
        customer=demo_customer,
        placed_by=alice,
        submission=uuid.uuid4(),
        monthly_net=Decimal("0"),
        status="processing",
    )
    from provisioning.models import RegistrarJob

    RegistrarJob.objects.create(kind=RegistrarJob.Kind.ENSURE, username="anna", e164="")
    RegistrarJob.objects.create(kind=RegistrarJob.Kind.REMOVE, username="bert", status="done")
    text = scrape()
    assert value(text, "portal_outbox_backlog", outbox="registrarjob") == 1
    assert value(text, "portal_outbox_backlog", outbox="webhookdelivery") == 0
    assert value(text, "portal_orders_processing") == 1
    assert value(text, "portal_orders_processing_oldest_seconds") >= 0


def test_requests_are_counted_by_route_name_never_by_path(alice_client, alice):
    order_code = "0b7c5f0e-4b8e-4d47-9e0c-1f0d5d2b8a11"
    alice_client.get(f"/sip-trunk/auftraege/{order_code}/")
    alice_client.get("/gibt-es-nicht/secret-value/")
    Client().post(reverse("portal:login"), {"username": "alice", "password": "Falsch-1"})
    text = Client(HTTP_AUTHORIZATION=f"Bearer {TOKEN}").get("/metrics").content.decode()
    views = {
        dict(labels)["view"]
        for name, labels in samples(text)
        if name == "portal_http_requests_total"
    }
    assert "portal:login" in views
    assert "unmatched" in views
    assert not any("/" in view for view in views)
    assert order_code not in text
    assert "secret-value" not in text
    assert TOKEN not in text
    assert "Falsch-1" not in text
    assert value(text, "portal_login_failures_total") >= 1


INCREMENT = "from portal import metrics; metrics.ORDER_STATUS.labels('completed').inc()"
SCRAPE = """
import django; django.setup()
from prometheus_client import generate_latest
from portal import metrics
print(generate_latest(metrics.registry()).decode())
"""


def test_in_multiprocess_mode_the_processes_counts_are_summed_with_the_backlog(db, tmp_path):
    """As under gunicorn with several workers: each process writes its own files, and the
    scrape, in yet another process, sums them and still reads the backlog."""
    import os
    import subprocess
    import sys

    from tests.conftest import database_url

    env = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": database_url(),
    }
    for _ in range(2):
        subprocess.run([sys.executable, "-c", INCREMENT], env=env, check=True, timeout=60)
    scraped = subprocess.run(
        [sys.executable, "-c", SCRAPE], env=env, check=True, timeout=60, capture_output=True
    ).stdout.decode()
    assert value(scraped, "portal_order_status_changes_total", status="completed") == 2
    assert value(scraped, "portal_outbox_backlog", outbox="registrarjob") == 0
    assert "portal_orders_processing_oldest_seconds" in scraped


def test_failed_logins_and_the_lockout_they_cause_are_counted(alice):
    before = scrape()
    client = Client()
    for _ in range(5):
        client.post(reverse("portal:login"), {"username": "alice", "password": "Falsch-1"})
    after = scrape()
    for name, more in (("portal_login_failures_total", 5), ("portal_login_lockouts_total", 1)):
        assert value(after, name) == value(before, name) + more


def test_import_rows_checked_and_refused_are_counted(trunk):
    from tests.listimport.test_check import check, person

    before = scrape()
    result = check(
        trunk,
        person(auth_email="login@example.com", mobile="0170 1234567"),
        person(auth_email="kein-mail", mobile="0170 1234568", first_name="Anna"),
    )
    assert (result["ok"], result["failed"]) == (1, 1)
    after = scrape()
    for stage, more in (("checked", 2), ("refused", 1)):
        name = "portal_import_rows_total"
        assert value(after, name, stage=stage) == value(before, name, stage=stage) + more


def test_without_an_answer_from_the_database_the_counters_still_show(db):
    from django.db import connection

    with connection.cursor() as cursor:  # rolled back with the test's transaction
        cursor.execute("ALTER TABLE orders_order RENAME TO orders_order_away")
    text = scrape()
    assert "portal_http_requests_total" in text
    assert "portal_orders_processing " not in text
