"""The portal's Prometheus metrics: the metric objects, what is counted on commit, and the
figures read from the database at each scrape.

Counters and histograms live in each process (web and worker); with
``PROMETHEUS_MULTIPROC_DIR`` set (before the first import of ``prometheus_client``) every
process writes them to files there and ``/metrics`` sums them (see :func:`registry`).
Labels are fixed vocabularies only (a route name, a status, a channel): never a path, a
username, an order code or a token.

Backlogs and ages are not counted but read at scrape time (:class:`BacklogCollector`): a few
``COUNT``/``MIN`` queries, so every web process answers the same and a dead worker shows.
The models are found by their app label, so this bottom layer imports none of them.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator

from django.apps import apps
from django.db import DatabaseError, transaction
from django.utils import timezone
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import REGISTRY, Collector

log = logging.getLogger(__name__)

REQUESTS = Counter(
    "portal_http_requests_total",
    "Requests answered, by route name (not path), method and status code.",
    ["view", "method", "status"],
)
REQUEST_SECONDS = Histogram(
    "portal_http_request_duration_seconds",
    "Time from the request to the response, by route name.",
    ["view"],
    buckets=(0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
ORDER_STATUS = Counter(
    "portal_order_status_changes_total",
    "Orders reaching a status (received on placing, then processing, completed or failed).",
    ["status"],
)
MESSAGE_DELIVERIES = Counter(
    "portal_message_deliveries_total",
    "Message delivery attempts by channel (email, sms) and outcome (sent, failed, retry).",
    ["channel", "outcome"],
)
OUTBOX_RESULTS = Counter(
    "portal_outbox_results_total",
    "Outbox rows finished or deferred, by outbox (notification, registrarjob, "
    "webhookdelivery) and outcome (its status, or retry).",
    ["outbox", "outcome"],
)
IMPORT_ROWS = Counter(
    "portal_import_rows_total",
    "List import rows by stage: checked, refused (by the check or the cart step), carted.",
    ["stage"],
)
LOGIN_FAILURES = Counter("portal_login_failures_total", "Failed logins (wrong credentials).")
LOGIN_LOCKOUTS = Counter("portal_login_lockouts_total", "Logins refused by the lockout.")
#: Minutes to hours: an order waits for the SIP registrar, a message for SMTP or Twilio.
_ORDER_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600, 24 * 3600)
ORDER_COMPLETED_SECONDS = Histogram(
    "portal_order_completed_seconds",
    "From placing an order to its completion (all its new workplaces active).",
    buckets=_ORDER_BUCKETS,
)
ORDER_MESSAGES_SENT_SECONDS = Histogram(
    "portal_order_messages_sent_seconds",
    "From placing an order to the last of its messages sent (none failed).",
    buckets=_ORDER_BUCKETS,
)
REGISTRAR_DRIFT = Gauge(
    "portal_registrar_drift",
    "Differences between active workplaces and the SIP registrar at the last hourly check.",
    multiprocess_mode="mostrecent",
)


def count_logins() -> None:
    """Count failed logins (Django's signal) and lockouts (django-axes' signal)."""
    from axes.signals import user_locked_out
    from django.contrib.auth.signals import user_login_failed

    user_login_failed.connect(_login_failed, dispatch_uid="metrics")
    user_locked_out.connect(_locked_out, dispatch_uid="metrics")


def _login_failed(**kwargs: object) -> None:
    LOGIN_FAILURES.inc()


def _locked_out(**kwargs: object) -> None:
    LOGIN_LOCKOUTS.inc()


def observe_on_commit(histogram: Histogram, since) -> None:
    """Observe the time from ``since`` to now once the transaction commits."""
    seconds = max((timezone.now() - since).total_seconds(), 0)
    transaction.on_commit(lambda: histogram.observe(seconds))


def count_on_commit(counter: Counter, amount: float = 1, **labels: str) -> None:
    """Count once the surrounding transaction commits (at once outside of one): a change
    that rolls back was not made."""
    metric = counter.labels(**labels) if labels else counter
    transaction.on_commit(lambda: metric.inc(amount))


#: The outboxes whose waiting rows are a backlog: kind -> (app label, model, pending, running).
OUTBOXES = {
    "notification": ("notifications", "Notification", "pending", "sending"),
    "registrarjob": ("provisioning", "RegistrarJob", "pending", "running"),
    "webhookdelivery": ("webhooks", "WebhookDelivery", "pending", "running"),
}


class BacklogCollector(Collector):
    """Outbox backlogs and ages, and orders still "In Bearbeitung", read at each scrape."""

    def describe(self) -> list:
        return []  # nothing at registration: the database is read only when scraped

    def collect(self) -> Iterator[GaugeMetricFamily]:
        """Nothing of these when the database does not answer: the counters still show."""
        try:
            families = list(self._read())
        except DatabaseError as exc:
            log.warning("metrics: backlog not read: %s", exc)
            return
        yield from families

    def _read(self) -> Iterator[GaugeMetricFamily]:
        now = timezone.now()
        backlog = GaugeMetricFamily(
            "portal_outbox_backlog",
            "Outbox rows waiting or running, by outbox.",
            labels=["outbox"],
        )
        oldest = GaugeMetricFamily(
            "portal_outbox_oldest_pending_seconds",
            "Age of the oldest waiting or running outbox row (0 when none); grows when no "
            "worker takes them.",
            labels=["outbox"],
        )
        for kind, (label, name, pending, running) in OUTBOXES.items():
            waiting = apps.get_model(label, name).objects.filter(status__in=(pending, running))
            backlog.add_metric([kind], waiting.count())
            first = waiting.order_by("created_at").values_list("created_at", flat=True).first()
            oldest.add_metric([kind], (now - first).total_seconds() if first else 0)
        yield backlog
        yield oldest
        processing = apps.get_model("orders", "Order").objects.filter(status="processing")
        yield GaugeMetricFamily(
            "portal_orders_processing",
            'Orders "In Bearbeitung" now.',
            value=processing.count(),
        )
        first = processing.order_by("created_at").values_list("created_at", flat=True).first()
        yield GaugeMetricFamily(
            "portal_orders_processing_oldest_seconds",
            'Age of the oldest order "In Bearbeitung", since it was placed (0 when none).',
            value=(now - first).total_seconds() if first else 0,
        )


def registry() -> CollectorRegistry:
    """What ``/metrics`` exposes: every process's files in multiprocess mode (a fresh
    registry per scrape, as prometheus_client asks), else this process's own registry;
    both with the backlog read from the database."""
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        fresh = CollectorRegistry()
        multiprocess.MultiProcessCollector(fresh)
    else:
        fresh = CollectorRegistry(auto_describe=False)
        fresh.register(_Local())
    fresh.register(BacklogCollector())
    return fresh


class _Local(Collector):
    """This process's default registry, inside a per-scrape one."""

    def collect(self) -> Iterator:
        yield from REGISTRY.collect()
