"""The provisioning seam without a SIP server: the backend choice, the outbox rows, the sweep.

These need no Kamailio; what reaches a real registrar is in test_registrar.py.
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from celery import signals
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from provisioning import services
from provisioning.backends import KamailioBackend, NoBackend, get_backend
from provisioning.models import RegistrarJob

STARTED = "provisioning-outbox-started"


@pytest.fixture
def started():
    """Names of the tasks that start (in-process here, as without Redis)."""
    names: list[str] = []

    def record(sender=None, **kwargs) -> None:
        names.append(sender.name)

    signals.task_prerun.connect(record, weak=False, dispatch_uid=STARTED)
    yield names
    signals.task_prerun.disconnect(dispatch_uid=STARTED)


def test_without_a_registrar_the_backend_is_none_and_not_connected(settings):
    settings.PROVISIONING_BACKEND = "none"

    assert isinstance(get_backend(), NoBackend)
    assert services.is_connected() is False


def test_an_unknown_backend_is_a_configuration_error_naming_the_variable(settings):
    settings.PROVISIONING_BACKEND = "asterisk"

    with pytest.raises(ImproperlyConfigured, match=r"^PROVISIONING_BACKEND must be none or"):
        get_backend()


@pytest.mark.parametrize(
    ("url", "domain", "variable"),
    [
        (None, "sip.example.net", "KAMAILIO_DATABASE_URL"),
        ("mysql://kamailio@db/kamailio", "sip.example.net", "KAMAILIO_DATABASE_URL"),
        ("postgres://kamailio@db/kamailio", "", "SIP_DOMAIN"),
    ],
)
def test_kamailio_needs_its_database_url_and_the_sip_domain(settings, url, domain, variable):
    settings.PROVISIONING_BACKEND = "kamailio"
    settings.KAMAILIO_DATABASE_URL = url
    settings.SIP_DOMAIN = domain

    with pytest.raises(ImproperlyConfigured, match=f"^{variable} must"):
        get_backend()


def test_kamailio_is_chosen_with_its_settings(settings):
    settings.PROVISIONING_BACKEND = "kamailio"
    settings.KAMAILIO_DATABASE_URL = "postgres://kamailio@db.example.net/kamailio"
    settings.SIP_DOMAIN = "sip.example.net"

    backend = get_backend()

    assert isinstance(backend, KamailioBackend)
    assert (backend.connected, backend.domain, backend.realm) == (
        True,
        "sip.example.net",
        "sip.example.net",
    )


def test_without_a_registrar_a_job_is_done_at_once_and_runs_no_task(db, started):
    with transaction.atomic():
        ensured = services.queue_ensure(
            username="anna.schmidt", e164="+4922818123410", ref="workplace:a"
        )
        removed = services.queue_removal(username="ben.weber", ref="workplace:b")

    assert [ensured.status, removed.status] == ["done", "done"]
    assert started == []
    assert {
        ref: s.state for ref, s in services.job_state(["workplace:a", "workplace:b"]).items()
    } == {
        "workplace:a": "done",
        "workplace:b": "done",
    }


def test_without_a_registrar_there_is_nothing_to_compare(db):
    report = services.check({"anna.schmidt": "+4922818123410"}, fix=True)

    assert services.compare({"anna.schmidt": "+4922818123410"}) == []
    assert (report.connected, report.differences, report.repairs) == (False, [], [])
    assert report.lines() == ["Kein SIP-Registrar angebunden (PROVISIONING_BACKEND=none)."]


def test_a_number_that_is_not_e164_is_refused_before_anything_is_written(db):
    with pytest.raises(ValueError, match=r"E\.164"):
        services.queue_ensure(username="anna.schmidt", e164="0228 181234-10", ref="workplace:a")

    assert not RegistrarJob.objects.exists()


def test_job_state_reports_the_newest_job_of_each_ref(db):
    RegistrarJob.objects.create(kind="ensure", username="a", ref="workplace:a", status="done")
    RegistrarJob.objects.create(
        kind="remove", username="a", ref="workplace:a", attempts=2, last_error="timeout"
    )
    RegistrarJob.objects.create(kind="ensure", username="b", ref="workplace:b")

    states = services.job_state(["workplace:a", "workplace:b", "workplace:c"])

    assert sorted(states) == ["workplace:a", "workplace:b"]
    assert (states["workplace:a"].state, states["workplace:a"].kind) == ("retrying", "remove")
    assert states["workplace:a"].reason == (
        "Datenbank des SIP-Registrars antwortet nicht rechtzeitig"
    )
    assert states["workplace:a"].label == "SIP-Registrar nicht erreichbar, neuer Versuch folgt"
    assert states["workplace:b"].state == "pending"


def test_the_backoff_grows_with_each_attempt_within_its_cap(settings):
    settings.PROVISIONING_RETRY_BASE_SECONDS = 10
    settings.PROVISIONING_RETRY_MAX_SECONDS = 300

    for attempt in range(1, 12):
        cap = min(300, 10 * 2 ** (attempt - 1))
        for _ in range(20):
            assert cap / 2 <= services.OUTBOX.backoff(attempt) <= cap


def test_the_sweep_hands_out_due_and_stuck_rows_only(db, started, settings):
    now = timezone.now()
    later = now + dt.timedelta(minutes=5)
    due = RegistrarJob.objects.create(kind="ensure", username="due", next_attempt_at=now)
    never_sent = RegistrarJob.objects.create(kind="ensure", username="lost")
    stuck = RegistrarJob.objects.create(
        kind="remove",
        username="stuck",
        status="running",
        claimed_by="dead-worker",
        claimed_at=now - dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 31),
    )
    waiting = RegistrarJob.objects.create(
        kind="ensure", username="waiting", next_attempt_at=later + dt.timedelta(minutes=1)
    )
    running = RegistrarJob.objects.create(
        kind="ensure", username="running", status="running", claimed_at=later
    )
    done = RegistrarJob.objects.create(kind="ensure", username="done", status="done")

    assert services.sweep(now=later) == 3

    assert started == ["provisioning.tasks.run_job"] * 3
    statuses = {
        job.username: job.status
        for job in RegistrarJob.objects.filter(
            pk__in=[due.pk, never_sent.pk, stuck.pk, waiting.pk, running.pk, done.pk]
        )
    }
    assert statuses == {
        "due": "done",
        "lost": "done",
        "stuck": "done",
        "waiting": "pending",
        "running": "running",
        "done": "done",
    }


def test_provisioning_check_without_a_registrar_has_nothing_to_compare(db):
    out = io.StringIO()

    call_command("provisioning_check", "--repair", stdout=out)

    assert out.getvalue() == "Kein SIP-Registrar angebunden (PROVISIONING_BACKEND=none).\n"
