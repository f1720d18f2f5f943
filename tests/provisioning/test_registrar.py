"""The portal's credentials against a real Kamailio: sipp registers and calls as a phone would.

Kamailio runs ``deploy/kamailio/kamailio.cfg`` on its own PostgreSQL database (see
conftest.py); the portal writes that database through ``provisioning.backends`` and the
outbox, and nothing in between is mocked.
"""

from __future__ import annotations

import io
import logging
import socket
import traceback
import urllib.error

import psycopg
import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from provisioning import services
from provisioning.backends import (
    RegistrarError,
    RegistrarUnavailable,
    digest_hashes,
    get_backend,
)
from provisioning.models import RegistrarJob
from provisioning.tasks import run_job
from tests.conftest import wait_for
from tests.notifications.conftest import wait_idle
from tests.provisioning.conftest import closed_url, free_port

pytestmark = pytest.mark.kamailio

ANNA, ANNA_NUMBER, ANNA_PASSWORD = "anna.schmidt", "+4922818123410", "Anna-Sip-2026!"
BEN, BEN_NUMBER, BEN_PASSWORD = "ben.weber", "+4922818123411", "Ben-Sip-2026!x"


@pytest.fixture
def backend(registrar):
    return get_backend()


def provision(backend, username: str, number: str, password: str) -> None:
    backend.ensure_subscriber(username=username, e164=number)
    backend.set_password(username=username, password=password)


@pytest.fixture
def queue(db, django_capture_on_commit_callbacks):
    """``queue(fn, **kwargs)`` writes a job in a transaction, as a caller does; its task
    runs in-process when that transaction commits (without Redis, as in development)."""

    def write(fn, **kwargs) -> RegistrarJob:
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            return fn(**kwargs)

    return write


# --- registering ---------------------------------------------------------------------------


def test_the_right_password_registers_and_a_wrong_one_is_challenged_again(backend, sip):
    provision(backend, ANNA, ANNA_NUMBER, ANNA_PASSWORD)

    assert sip.register(ANNA, ANNA_PASSWORD).status == 200
    wrong = sip.register(ANNA, "Not-Her-Password-1")
    assert not wrong.ok
    assert wrong.status == 401


def test_a_new_subscriber_without_a_password_cannot_register(backend, sip):
    backend.ensure_subscriber(username=ANNA, e164=ANNA_NUMBER)

    assert sip.register(ANNA, "").status == 401
    assert sip.register(ANNA, ANNA_PASSWORD).status == 401


def test_after_a_password_change_the_old_one_fails_and_the_new_one_registers(backend, sip):
    provision(backend, ANNA, ANNA_NUMBER, ANNA_PASSWORD)
    assert sip.register(ANNA, ANNA_PASSWORD).status == 200

    backend.set_password(username=ANNA, password="Anna-Changed-2027")

    assert sip.register(ANNA, ANNA_PASSWORD).status == 401
    assert sip.register(ANNA, "Anna-Changed-2027").status == 200


def test_removal_refuses_registration_and_drops_the_registered_contact(backend, sip, registrar):
    provision(backend, ANNA, ANNA_NUMBER, ANNA_PASSWORD)
    provision(backend, BEN, BEN_NUMBER, BEN_PASSWORD)
    assert sip.register(ANNA, ANNA_PASSWORD).ok
    assert sip.register(BEN, BEN_PASSWORD).ok
    anna_aor, ben_aor = f"{ANNA}@{registrar.domain}", f"{BEN}@{registrar.domain}"
    assert set(registrar.contacts()) == {anna_aor, ben_aor}

    assert backend.remove_subscriber(username=ANNA) is True

    assert sip.register(ANNA, ANNA_PASSWORD).status == 401
    assert set(registrar.contacts()) == {ben_aor}
    assert registrar.sql("SELECT username FROM subscriber") == [(BEN,)]
    assert registrar.sql("SELECT alias_username FROM dbaliases") == [(BEN_NUMBER,)]
    assert backend.remove_subscriber(username=ANNA) is False


def test_removal_drops_a_contact_that_is_already_in_the_database(backend, sip, registrar):
    """In write-back mode ul.rm only marks a contact the timer has written; it must still be
    gone for lookup (the CI run of an earlier version saw it "registered" afterwards)."""
    provision(backend, ANNA, ANNA_NUMBER, ANNA_PASSWORD)
    assert sip.register(ANNA, ANNA_PASSWORD).ok
    wait_for(
        lambda: "State: CS_SYNC" in registrar.kamcmd("ul.dump"),
        timeout=10,
        what="usrloc to write the contact to the database",
    )

    backend.remove_subscriber(username=ANNA)

    # Marked "deleted", or already gone if usrloc wrote again meanwhile.
    left = registrar.dump().get(f"{ANNA}@{registrar.domain}", [])
    assert {expires for _, expires in left} <= {"deleted"}
    assert registrar.contacts() == {}
    with pytest.raises(urllib.error.HTTPError, match=r"AOR has no contacts|AOR not found"):
        registrar.rpc("ul.lookup", "location", f"{ANNA}@{registrar.domain}")


def test_another_subscribers_credentials_cannot_register_this_username(backend, sip, registrar):
    provision(backend, ANNA, ANNA_NUMBER, ANNA_PASSWORD)
    provision(backend, BEN, BEN_NUMBER, BEN_PASSWORD)

    hijack = sip.register(ANNA, BEN_PASSWORD, as_user=BEN)

    assert not hijack.ok
    assert hijack.status == 403
    assert registrar.contacts() == {}


@pytest.mark.parametrize("dialled", [ANNA_NUMBER, "00" + ANNA_NUMBER[1:]])
def test_a_call_from_a_second_workplace_to_the_number_reaches_the_registered_client(
    backend, sip, dialled
):
    provision(backend, ANNA, ANNA_NUMBER, ANNA_PASSWORD)
    provision(backend, BEN, BEN_NUMBER, BEN_PASSWORD)
    phone_port = free_port(socket.SOCK_DGRAM)
    assert sip.register(ANNA, ANNA_PASSWORD, port=phone_port).ok

    with sip.answer(phone_port) as phone:
        call = sip.call(dialled, caller=BEN, password=BEN_PASSWORD)
        answered = phone.result()

    assert call.ok, call
    assert answered.ok, answered
    assert phone.received()[0] == f"INVITE sip:{ANNA}@127.0.0.1:{phone_port};transport=UDP"


def test_a_call_with_a_wrong_password_is_not_put_through(backend, sip):
    provision(backend, ANNA, ANNA_NUMBER, ANNA_PASSWORD)
    provision(backend, BEN, BEN_NUMBER, BEN_PASSWORD)
    phone_port = free_port(socket.SOCK_DGRAM)
    assert sip.register(ANNA, ANNA_PASSWORD, port=phone_port).ok

    with sip.answer(phone_port) as phone:
        call = sip.call(ANNA_NUMBER, caller=BEN, password="Not-Bens-Password")

    assert not call.ok
    assert call.status == 407
    assert phone.received() == []


# --- the backend's writes --------------------------------------------------------------------


def test_ensuring_twice_changes_nothing_and_keeps_the_password(backend, sip, registrar):
    assert backend.ensure_subscriber(username=ANNA, e164=ANNA_NUMBER) is True
    assert registrar.sql("SELECT username, domain, password, ha1, ha1b FROM subscriber") == [
        (ANNA, registrar.domain, "", "", "")
    ]
    backend.set_password(username=ANNA, password=ANNA_PASSWORD)

    assert backend.ensure_subscriber(username=ANNA, e164=ANNA_NUMBER) is False

    assert sip.register(ANNA, ANNA_PASSWORD).status == 200
    assert registrar.sql(
        "SELECT alias_username, alias_domain, username, domain FROM dbaliases"
    ) == [(ANNA_NUMBER, registrar.domain, ANNA, registrar.domain)]


def test_a_new_number_moves_the_alias(backend, registrar):
    backend.ensure_subscriber(username=ANNA, e164=ANNA_NUMBER)

    assert backend.ensure_subscriber(username=ANNA, e164="+4922818123499") is True

    assert registrar.sql("SELECT alias_username, username FROM dbaliases") == [
        ("+4922818123499", ANNA)
    ]


def test_the_hashes_are_the_digest_of_username_realm_and_password(backend, registrar):
    backend.set_password(username=ANNA, password=ANNA_PASSWORD)

    ha1, ha1b = digest_hashes(
        username=ANNA, domain=registrar.domain, realm=registrar.domain, password=ANNA_PASSWORD
    )
    assert registrar.sql("SELECT password, ha1, ha1b FROM subscriber") == [("", ha1, ha1b)]


def test_an_unreachable_database_raises_registrar_unavailable(backend, registrar, settings):
    settings.KAMAILIO_DATABASE_URL = closed_url(registrar)
    down = get_backend()

    for call in (
        lambda: down.ensure_subscriber(username=ANNA, e164=ANNA_NUMBER),
        lambda: down.set_password(username=ANNA, password=ANNA_PASSWORD),
        lambda: down.remove_subscriber(username=ANNA),
        down.snapshot,
    ):
        with pytest.raises(RegistrarUnavailable) as raised:
            call()
        assert raised.value.reason == "unreachable"


def test_a_locked_table_times_out_as_registrar_unavailable(backend, registrar):
    with psycopg.connect(registrar.database_url) as blocker:
        blocker.execute("LOCK TABLE subscriber IN ACCESS EXCLUSIVE MODE")
        with pytest.raises(RegistrarUnavailable) as raised:
            backend.set_password(username=ANNA, password=ANNA_PASSWORD)
    assert raised.value.reason == "timeout"
    assert registrar.sql("SELECT count(*) FROM subscriber") == [(0,)]


# --- the outbox ----------------------------------------------------------------------------


def test_a_job_waits_while_the_registrar_is_down_and_completes_once_it_is_back(
    registrar, settings, queue, sip
):
    settings.KAMAILIO_DATABASE_URL = closed_url(registrar)

    job = queue(services.queue_ensure, username=ANNA, e164=ANNA_NUMBER, ref="workplace:anna")

    job.refresh_from_db()
    assert (job.status, job.attempts, job.last_error) == ("pending", 1, "unreachable")
    state = services.job_state(["workplace:anna"])["workplace:anna"]
    assert state.state == "retrying"
    assert state.reason == "Datenbank des SIP-Registrars nicht erreichbar"

    settings.KAMAILIO_DATABASE_URL = registrar.database_url
    assert services.sweep(now=job.next_attempt_at + services.RETRY_GRACE * 2) == 1

    job.refresh_from_db()
    assert (job.status, job.attempts, job.last_error) == ("done", 2, "")
    assert services.job_state(["workplace:anna"])["workplace:anna"].state == "done"
    assert registrar.sql("SELECT alias_username, username FROM dbaliases") == [(ANNA_NUMBER, ANNA)]


def test_a_duplicate_task_changes_nothing(registrar, queue, sip):
    ensured = queue(services.queue_ensure, username=ANNA, e164=ANNA_NUMBER, ref="workplace:anna")
    queue(services.queue_removal, username=ANNA, ref="workplace:anna")

    # The ensure task delivered again late (a worker died before its ack, say).
    run_job.apply(args=[ensured.pk])

    ensured.refresh_from_db()
    assert (ensured.status, ensured.attempts) == ("done", 1)
    assert registrar.sql("SELECT count(*) FROM subscriber") == [(0,)]


def test_an_older_job_retried_after_a_newer_one_is_superseded(registrar, settings, queue):
    settings.KAMAILIO_DATABASE_URL = closed_url(registrar)
    ensured = queue(services.queue_ensure, username=ANNA, e164=ANNA_NUMBER, ref="workplace:anna")
    settings.KAMAILIO_DATABASE_URL = registrar.database_url
    removed = queue(services.queue_removal, username=ANNA, ref="workplace:anna")

    ensured.refresh_from_db()
    assert services.sweep(now=ensured.next_attempt_at + services.RETRY_GRACE * 2) == 1

    ensured.refresh_from_db()
    removed.refresh_from_db()
    assert (ensured.status, removed.status) == ("superseded", "done")
    assert registrar.sql("SELECT count(*) FROM subscriber") == [(0,)]


def test_a_finished_job_enqueues_the_task_waiting_for_it(registrar, settings, queue):
    settings.KAMAILIO_DATABASE_URL = closed_url(registrar)
    first = queue(services.queue_ensure, username=ANNA, e164=ANNA_NUMBER, ref="workplace:anna")
    waiting = queue(services.queue_ensure, username=BEN, e164=BEN_NUMBER, ref="workplace:ben")
    # Anna's job carries Ben's on (any task taking an id would do: an order's, say).
    then = {"then_task": "provisioning.tasks.run_job", "then_id": waiting.pk}
    assert services.when_done(["workplace:anna", "workplace:none"], **then) is False
    settings.KAMAILIO_DATABASE_URL = registrar.database_url

    run_job.apply(args=[first.pk])

    assert RegistrarJob.objects.get(pk=waiting.pk).status == "done"
    assert services.when_done(["workplace:anna", "workplace:ben"], **then) is True
    assert registrar.sql("SELECT username FROM subscriber ORDER BY username") == [(ANNA,), (BEN,)]


def test_a_superseded_job_enqueues_the_task_waiting_for_it_too(registrar, settings, queue):
    settings.KAMAILIO_DATABASE_URL = closed_url(registrar)
    ensured = queue(services.queue_ensure, username=ANNA, e164=ANNA_NUMBER, ref="workplace:anna")
    waiting = queue(services.queue_ensure, username=BEN, e164=BEN_NUMBER, ref="workplace:ben")
    services.when_done(
        ["workplace:anna"], then_task="provisioning.tasks.run_job", then_id=waiting.pk
    )
    settings.KAMAILIO_DATABASE_URL = registrar.database_url
    queue(services.queue_removal, username=ANNA, ref="workplace:anna")

    run_job.apply(args=[ensured.pk])

    assert RegistrarJob.objects.get(pk=ensured.pk).status == "superseded"
    assert RegistrarJob.objects.get(pk=waiting.pk).status == "done"


@pytest.mark.redis
def test_a_worker_retries_with_backoff_until_the_registrar_is_back(
    registrar, settings, live_celery, redis_server, celery_worker
):
    settings.PROVISIONING_RETRY_BASE_SECONDS = 0.2
    settings.PROVISIONING_RETRY_MAX_SECONDS = 0.5
    settings.KAMAILIO_DATABASE_URL = closed_url(registrar)

    with transaction.atomic():
        job = services.queue_ensure(username=ANNA, e164=ANNA_NUMBER, ref="workplace:anna")
    failed = wait_for(
        lambda: RegistrarJob.objects.filter(pk=job.pk, status="pending", attempts__gte=2).first(),
        what="two failed attempts while the registrar's database is down",
    )
    assert failed.last_error == "unreachable"
    settings.KAMAILIO_DATABASE_URL = registrar.database_url

    done = wait_for(
        lambda: RegistrarJob.objects.filter(pk=job.pk, status="done").first(),
        what="the job done once the database is back",
    )
    wait_idle(redis_server)
    assert registrar.sql("SELECT username FROM subscriber") == [(ANNA,)]
    # Retries are new messages of the same task, carrying nothing but the row's id.
    published = live_celery.published.of("provisioning.tasks.run_job")
    assert len(published) == done.attempts >= 3
    assert {m["headers"]["id"] for m in published} == {published[0]["headers"]["id"]}
    assert all(list(m["body"][0]) == [job.pk] and m["body"][1] == {} for m in published)


def test_a_registrar_rpc_that_is_down_retries_the_removal(backend, registrar, settings, sip):
    provision(backend, ANNA, ANNA_NUMBER, ANNA_PASSWORD)
    assert sip.register(ANNA, ANNA_PASSWORD).ok
    settings.KAMAILIO_RPC_URL = f"http://127.0.0.1:{free_port()}/RPC"

    with pytest.raises(RegistrarUnavailable) as raised:
        get_backend().remove_subscriber(username=ANNA)
    assert raised.value.reason == "rpc"

    settings.KAMAILIO_RPC_URL = registrar.rpc_url
    get_backend().remove_subscriber(username=ANNA)
    assert registrar.contacts() == {}


# --- secrets -------------------------------------------------------------------------------


def test_ha1_never_reaches_our_database_the_logs_or_task_arguments(
    registrar, queue, caplog, started_tasks
):
    caplog.set_level(logging.DEBUG)
    ha1, ha1b = digest_hashes(
        username=ANNA, domain=registrar.domain, realm=registrar.domain, password=ANNA_PASSWORD
    )

    ensured = queue(services.queue_ensure, username=ANNA, e164=ANNA_NUMBER, ref="workplace:anna")
    services.set_password(username=ANNA, password=ANNA_PASSWORD)
    assert registrar.sql("SELECT ha1, ha1b FROM subscriber") == [(ha1, ha1b)]
    removed = queue(services.queue_removal, username=ANNA, ref="workplace:anna")

    dump = io.StringIO()
    call_command("dumpdata", stdout=dump)
    assert ANNA in dump.getvalue()
    for secret in (ha1, ha1b, ANNA_PASSWORD):
        assert secret not in dump.getvalue()
        assert secret not in caplog.text
        assert secret not in repr(started_tasks)
    assert started_tasks == [
        ("provisioning.tasks.run_job", [ensured.pk], {}),
        ("provisioning.tasks.run_job", [removed.pk], {}),
    ]


def test_a_refused_password_write_does_not_quote_the_hashes(backend, registrar):
    ha1, ha1b = digest_hashes(
        username=ANNA, domain=registrar.domain, realm=registrar.domain, password=ANNA_PASSWORD
    )
    registrar.sql("ALTER TABLE subscriber ADD CONSTRAINT ha1_short CHECK (length(ha1) < 10)")
    try:
        with pytest.raises(RegistrarError) as raised:
            backend.set_password(username=ANNA, password=ANNA_PASSWORD)
    finally:
        registrar.sql("ALTER TABLE subscriber DROP CONSTRAINT ha1_short")

    printed = "".join(traceback.format_exception(raised.value))
    assert "SQLSTATE 23514" in printed
    assert ha1 not in printed
    assert ha1b not in printed


# --- the check -----------------------------------------------------------------------------


def test_compare_finds_the_drift_and_repair_fixes_what_it_can(db, backend, registrar, sip):
    other, cleo, dora, emil, xaver = "other.invalid", "cleo", "dora", "emil", "xaver"
    provision(backend, ANNA, ANNA_NUMBER, ANNA_PASSWORD)  # as it should be
    provision(backend, cleo, "+4922818123499", "Cleo-Sip-2026!")  # alias of an old number
    backend.ensure_subscriber(username=dora, e164="+4922818123413")  # no password yet
    registrar.sql(
        "INSERT INTO subscriber (username, domain, password, ha1, ha1b)"
        " VALUES (%s, %s, '', 'x', 'x')",
        [emil, other],
    )
    provision(backend, xaver, "+4922818123420", "Xaver-Sip-2026")  # no workplace any more
    expected = {
        ANNA: ANNA_NUMBER,
        BEN: BEN_NUMBER,
        cleo: "+4922818123412",
        dora: "+4922818123413",
        emil: "+4922818123414",
    }

    found = {(d.kind, d.username) for d in services.compare(expected)}

    assert found == {
        ("missing", BEN),
        ("alias", cleo),  # the new number's alias is missing
        ("unset", dora),
        ("domain", emil),
        ("extra", xaver),
    }
    details = [str(d) for d in services.compare(expected) if d.username == cleo]
    assert details == [
        "cleo: Alias +4922818123412 fehlt",
        "cleo: überzähliger Alias +4922818123499",
    ]

    report = services.check(expected, fix=True)

    notes = {str(r) for r in report.repairs}
    assert "dora: nicht behebbar: ein Passwort kommt erst mit „Passwort zurücksetzen“" in notes
    assert f"{BEN}: angelegt; ein Passwort kommt erst mit „Passwort zurücksetzen“" in notes
    assert f"{xaver}: entfernt" in notes
    assert report.lines()[-1] == (
        "6 Abweichungen (Alias falsch: 2, falsche Domain: 1, überzählig: 1, fehlt: 1,"
        " ohne Passwort: 1). 5 behoben, 1 offen."
    )
    after = {(d.kind, d.username) for d in services.compare(expected)}
    assert after == {("unset", BEN), ("unset", dora), ("unset", emil)}
    assert sip.register(cleo, "Cleo-Sip-2026!").ok
    assert registrar.sql(
        "SELECT alias_username, username FROM dbaliases ORDER BY alias_username"
    ) == [
        (ANNA_NUMBER, ANNA),
        (BEN_NUMBER, BEN),
        ("+4922818123412", cleo),
        ("+4922818123413", dora),
        ("+4922818123414", emil),
    ]
    # The row in the other domain may belong to someone else: it stays.
    assert registrar.sql(
        "SELECT domain FROM subscriber WHERE username = %s ORDER BY domain", [emil]
    ) == [(other,), (registrar.domain,)]


def test_repair_carries_out_a_waiting_job_first(registrar, settings, queue):
    settings.KAMAILIO_DATABASE_URL = closed_url(registrar)
    ensured = queue(services.queue_ensure, username=ANNA, e164=ANNA_NUMBER, ref="workplace:a")
    removed = queue(services.queue_removal, username=BEN, ref="workplace:b")
    settings.KAMAILIO_DATABASE_URL = registrar.database_url
    registrar.sql(
        "INSERT INTO subscriber (username, domain) VALUES (%s, %s)", [BEN, registrar.domain]
    )

    differences = services.compare({ANNA: ANNA_NUMBER})
    repairs = services.repair(differences)

    assert [str(r) for r in repairs] == [
        f"{ANNA}: angelegt; ein Passwort kommt erst mit „Passwort zurücksetzen“",
        f"{BEN}: entfernt",
    ]
    assert [RegistrarJob.objects.get(pk=j.pk).status for j in (ensured, removed)] == [
        "done",
        "done",
    ]
    assert registrar.sql("SELECT username FROM subscriber") == [(ANNA,)]


def test_repair_leaves_a_username_to_the_worker_carrying_out_its_job(registrar, queue):
    RegistrarJob.objects.create(
        kind="ensure",
        username=ANNA,
        e164=ANNA_NUMBER,
        status="running",
        claimed_by="worker-1",
        claimed_at=timezone.now(),
    )

    repairs = services.repair(services.compare({ANNA: ANNA_NUMBER}))

    assert [(r.fixed, r.note) for r in repairs] == [
        (False, "wird gerade übertragen, nicht geändert")
    ]
    assert registrar.sql("SELECT count(*) FROM subscriber") == [(0,)]


def active_workplaces() -> dict[str, str | None]:
    """What PROVISIONING_EXPECTED names in the check test: the active workplaces."""
    return {ANNA: ANNA_NUMBER, BEN: BEN_NUMBER}


def test_the_hourly_check_logs_a_summary_and_changes_nothing(db, backend, settings, caplog):
    from portal.celery import app
    from provisioning.tasks import check_registrar

    settings.PROVISIONING_EXPECTED = f"{__name__}.active_workplaces"
    provision(backend, ANNA, ANNA_NUMBER, ANNA_PASSWORD)
    entry = next(e for e in app.conf.beat_schedule.values() if e["task"] == check_registrar.name)
    assert entry["schedule"] == 3600

    with caplog.at_level(logging.INFO, logger="provisioning.tasks"):
        assert check_registrar.apply().get() == 1

    assert [r.getMessage() for r in caplog.records if r.name == "provisioning.tasks"] == [
        "registrar check: 1 difference(s) {'missing': 1}; run manage.py provisioning_check"
    ]
    assert services.compare(active_workplaces()) != []
