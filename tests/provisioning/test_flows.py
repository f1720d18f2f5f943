"""The portal's own flows against a real Kamailio: sipp registers as the end user's phone.

An admin orders through the wizard and the cart, the worker's tasks run in-process on
commit, the temporary password comes from the SMS outbox, and MyPortal, the admin's reset,
"Passwort vergessen" and deletion change what the registrar accepts. Nothing between the
portal and Kamailio is mocked; a registrar that is down is a database URL on a closed port.
"""

from __future__ import annotations

import html
import io
import logging
import re
import socket

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from notifications import services as notification_services
from notifications.models import Notification
from notifications.sms import LocmemSmsBackend
from orders.models import Order
from orders.services import cart_of, process_order
from portal.models import User
from provisioning import services as provisioning
from provisioning.backends import digest_hashes
from provisioning.models import RegistrarJob
from provisioning.tasks import check_registrar, run_job
from tests.manage_helpers import day, sms_password
from tests.myportal.conftest import NEW_PASSWORD
from tests.provisioning.conftest import closed_url, free_port
from tests.wizard_helpers import complete_draft
from workplaces.models import Workplace

pytestmark = pytest.mark.kamailio

MYPORTAL_LOGIN = reverse("myportal:login")
PASSWORD_CHANGE = reverse("myportal:password_change")


@pytest.fixture
def order(alice_client, alice, trunk, registrar, django_capture_on_commit_callbacks):
    """``order(username)``: the admin orders one workplace through the wizard and the cart;
    its tasks run on commit. Returns the order, the workplace and the SMS's password."""

    def order(username: str, *, number: str | None = None):
        sent = len(LocmemSmsBackend.outbox)
        complete_draft(alice_client, trunk, username=username, number=number, mobile="0170 1234567")
        with django_capture_on_commit_callbacks(execute=True):
            response = alice_client.post(reverse("orders:place"), {"token": cart_of(alice).token})
        assert response.status_code == 302
        placed = Order.objects.latest("pk")
        workplace = Workplace.objects.select_related("user", "number").get(username=username)
        password = sms_password() if len(LocmemSmsBackend.outbox) > sent else None
        return placed, workplace, password

    return order


def myportal_login(username: str, password: str) -> tuple[Client, object]:
    client = Client()
    response = client.post(MYPORTAL_LOGIN, {"username": username, "password": password})
    return client, response


def change_password(client: Client, current: str, new: str):
    return client.post(
        PASSWORD_CHANGE,
        {"current_password": current, "new_password": new, "new_password_repeat": new},
    )


def page_text(response) -> str:
    """The page's text as a reader sees it: no tags, single spaces."""
    text = re.sub(r"<[^>]+>", " ", response.content.decode())
    return " ".join(html.unescape(text).split())


# --- the first password ----------------------------------------------------------------------


def test_the_temporary_password_from_the_orders_sms_registers(order, sip, registrar, alice_client):
    placed, anna, password = order("anna.schmidt")

    assert placed.status == Order.Status.COMPLETED
    assert sip.register("anna.schmidt", password).status == 200
    assert registrar.sql("SELECT alias_username, alias_domain, username FROM dbaliases") == [
        (anna.number.e164, registrar.domain, "anna.schmidt")
    ]
    page = page_text(alice_client.get(reverse("orders:detail", args=[placed.code])))
    assert "✓ SIP-Registrar: eingerichtet" in page


def test_without_a_registrar_the_order_page_says_nothing_about_one(
    order, alice_client, settings, sip
):
    settings.PROVISIONING_BACKEND = "none"
    placed, _anna, password = order("anna.schmidt")

    assert placed.status == Order.Status.COMPLETED
    assert "SIP-Registrar" not in page_text(
        alice_client.get(reverse("orders:detail", args=[placed.code]))
    )
    # Nothing reached Kamailio: the SMS's password does not register there.
    assert sip.register("anna.schmidt", password).status == 401


# --- changing passwords ----------------------------------------------------------------------


def test_after_passwort_aendern_the_old_password_gets_401_and_the_new_one_200(order, sip):
    _placed, _anna, temporary = order("anna.schmidt")
    client, response = myportal_login("anna.schmidt", temporary)
    assert response["Location"] == PASSWORD_CHANGE

    assert change_password(client, temporary, NEW_PASSWORD).status_code == 302

    assert sip.register("anna.schmidt", temporary).status == 401
    assert sip.register("anna.schmidt", NEW_PASSWORD).status == 200


def test_passwort_aendern_while_the_registrar_is_down_changes_nothing(
    order, sip, settings, registrar
):
    _placed, anna, temporary = order("anna.schmidt")
    client, _response = myportal_login("anna.schmidt", temporary)
    settings.KAMAILIO_DATABASE_URL = closed_url(registrar)

    response = change_password(client, temporary, NEW_PASSWORD)

    assert response.status_code == 200
    assert (
        "Ihr neues Passwort konnte nicht gespeichert werden, weil der Telefondienst gerade "
        "nicht erreichbar ist. Ihr bisheriges Passwort gilt weiter."
    ) in page_text(response)
    anna.user.refresh_from_db()
    assert anna.user.check_password(temporary) and anna.user.must_change_password
    settings.KAMAILIO_DATABASE_URL = registrar.database_url
    assert sip.register("anna.schmidt", temporary).status == 200
    assert sip.register("anna.schmidt", NEW_PASSWORD).status == 401


def test_after_an_admin_reset_only_the_new_temporary_password_registers(
    order, sip, alice_client, django_capture_on_commit_callbacks
):
    _placed, anna, first = order("anna.schmidt")
    client, _response = myportal_login("anna.schmidt", first)
    change_password(client, first, NEW_PASSWORD)

    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(reverse("manage:reset_password", args=[anna.code]))
    reset = sms_password()

    assert reset != first
    assert sip.register("anna.schmidt", NEW_PASSWORD).status == 401
    assert sip.register("anna.schmidt", first).status == 401
    assert sip.register("anna.schmidt", reset).status == 200


def test_a_reset_while_the_registrar_is_down_is_sent_only_once_it_is_back(
    order, sip, settings, registrar, alice_client, django_capture_on_commit_callbacks
):
    _placed, anna, first = order("anna.schmidt")
    sent = len(LocmemSmsBackend.outbox)
    settings.KAMAILIO_DATABASE_URL = closed_url(registrar)

    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(reverse("manage:reset_password", args=[anna.code]))

    assert len(LocmemSmsBackend.outbox) == sent
    message = Notification.objects.get(kind=Notification.Kind.PASSWORD_RESET_SMS)
    # In-process (no worker) the retries come at once, so it has failed; a worker backs off.
    assert (message.status, message.attempts, message.last_error) == (
        Notification.Status.FAILED,
        9,
        "Datenbank des SIP-Registrars nicht erreichbar",
    )
    anna.user.refresh_from_db()
    assert not anna.user.has_usable_password()  # the portal ended the old one at once

    settings.KAMAILIO_DATABASE_URL = registrar.database_url
    with django_capture_on_commit_callbacks(execute=True):
        assert notification_services.resend(message)

    reset = sms_password()
    assert len(LocmemSmsBackend.outbox) == sent + 1
    assert sip.register("anna.schmidt", reset).status == 200
    assert sip.register("anna.schmidt", first).status == 401


def test_passwort_vergessen_reaches_the_phones_with_the_first_myportal_login(
    order, sip, django_capture_on_commit_callbacks
):
    _placed, _anna, temporary = order("anna.schmidt")
    client, _response = myportal_login("anna.schmidt", temporary)
    change_password(client, temporary, NEW_PASSWORD)

    with django_capture_on_commit_callbacks(execute=True):
        Client().post(reverse("myportal:password_forgotten"), {"username": "anna.schmidt"})
    body = LocmemSmsBackend.outbox[-1]["body"]
    assert body.endswith("- erst in MyPortal anmelden, dann gilt es auch in den Clients.")
    pending = sms_password()

    # Asking is not enough to stop the phones: the current password still registers.
    assert sip.register("anna.schmidt", pending).status == 401
    assert sip.register("anna.schmidt", NEW_PASSWORD).status == 200

    _client, response = myportal_login("anna.schmidt", pending)
    assert response["Location"] == PASSWORD_CHANGE

    assert sip.register("anna.schmidt", pending).status == 200
    assert sip.register("anna.schmidt", NEW_PASSWORD).status == 401


def test_the_first_login_with_a_forgotten_password_waits_for_the_registrar(
    order, sip, settings, registrar, django_capture_on_commit_callbacks
):
    _placed, anna, temporary = order("anna.schmidt")
    client, _response = myportal_login("anna.schmidt", temporary)
    change_password(client, temporary, NEW_PASSWORD)
    with django_capture_on_commit_callbacks(execute=True):
        Client().post(reverse("myportal:password_forgotten"), {"username": "anna.schmidt"})
    pending = sms_password()
    settings.KAMAILIO_DATABASE_URL = closed_url(registrar)

    _client, response = myportal_login("anna.schmidt", pending)

    assert response.status_code == 200
    assert (
        "Ihr neues Passwort kann gerade nicht aktiviert werden, weil der Telefondienst "
        "nicht erreichbar ist."
    ) in page_text(response)
    anna.user.refresh_from_db()
    assert anna.user.check_password(NEW_PASSWORD) and anna.user.pending_password
    assert myportal_login("anna.schmidt", NEW_PASSWORD)[1]["Location"] == reverse("myportal:home")
    settings.KAMAILIO_DATABASE_URL = registrar.database_url
    assert sip.register("anna.schmidt", NEW_PASSWORD).status == 200

    assert myportal_login("anna.schmidt", pending)[1]["Location"] == PASSWORD_CHANGE
    assert sip.register("anna.schmidt", pending).status == 200


# --- deletion, other workplaces, calls -------------------------------------------------------


def test_after_deletion_the_username_gets_401_and_no_contact_stays(
    order, sip, registrar, alice_client, time_machine, django_capture_on_commit_callbacks
):
    time_machine.move_to(day(0))
    _placed, anna, password = order("anna.schmidt")
    assert sip.register("anna.schmidt", password).ok
    assert list(registrar.contacts()) == [f"anna.schmidt@{registrar.domain}"]

    time_machine.move_to(day(31))  # after the minimum term
    alice_client.force_login(User.objects.get(username="alice"))
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(reverse("orders:delete", args=[anna.code]))
    deletion = Order.objects.latest("pk")
    assert response["Location"] == reverse("orders:detail", args=[deletion.code])

    assert deletion.status == Order.Status.COMPLETED
    assert sip.register("anna.schmidt", password).status == 401
    assert registrar.contacts() == {}
    assert registrar.sql("SELECT count(*) FROM subscriber") == [(0,)]
    assert registrar.sql("SELECT count(*) FROM dbaliases") == [(0,)]
    page = page_text(alice_client.get(reverse("orders:detail", args=[deletion.code])))
    assert "✓ SIP-Registrar: entfernt" in page


def test_another_workplaces_credentials_cannot_register_this_username(order, sip, registrar):
    _placed, _anna, _anna_password = order("anna.schmidt")
    _placed, _ben, ben_password = order("ben.weber")

    hijack = sip.register("anna.schmidt", ben_password, as_user="ben.weber")

    assert hijack.status == 403
    assert registrar.contacts() == {}


def test_a_call_from_a_second_workplace_to_the_first_ones_number_reaches_its_client(order, sip):
    _placed, anna, anna_password = order("anna.schmidt")
    _placed, _ben, ben_password = order("ben.weber")
    phone = free_port(socket.SOCK_DGRAM)
    assert sip.register("anna.schmidt", anna_password, port=phone).ok

    with sip.answer(phone) as anna_phone:
        call = sip.call(anna.number.e164, caller="ben.weber", password=ben_password)
        answered = anna_phone.result()

    assert call.ok, call
    assert answered.ok, answered
    assert anna_phone.received()[0].startswith(f"INVITE sip:anna.schmidt@127.0.0.1:{phone}")


# --- faults ----------------------------------------------------------------------------------


def test_an_order_waits_while_the_registrar_is_down_and_completes_once_it_is_back(
    order, sip, settings, registrar, alice_client, django_capture_on_commit_callbacks
):
    settings.KAMAILIO_DATABASE_URL = closed_url(registrar)

    placed, anna, password = order("anna.schmidt")

    placed.refresh_from_db()
    assert placed.status == Order.Status.PROCESSING
    assert password is None and not Notification.objects.exists()
    job = RegistrarJob.objects.get(ref=f"workplace:{anna.code}")
    retry_at = timezone.localtime(job.next_attempt_at).strftime("%H:%M")
    page = page_text(alice_client.get(reverse("orders:detail", args=[placed.code])))
    assert "In Bearbeitung (Wartet auf den SIP-Registrar.)" in page
    assert (
        f"SIP-Registrar: erneuter Versuch um {retry_at} "
        "(Datenbank des SIP-Registrars nicht erreichbar)"
    ) in page
    # Processing the order again (a sweep, a duplicate task) changes nothing meanwhile.
    with django_capture_on_commit_callbacks(execute=True):
        process_order(placed.pk)
    placed.refresh_from_db()
    assert placed.status == Order.Status.PROCESSING
    assert placed.history.filter(note="Wartet auf den SIP-Registrar.").count() == 1

    settings.KAMAILIO_DATABASE_URL = registrar.database_url
    with django_capture_on_commit_callbacks(execute=True):
        assert provisioning.sweep(now=job.next_attempt_at + provisioning.RETRY_GRACE * 2) == 1

    placed.refresh_from_db()
    assert placed.status == Order.Status.COMPLETED
    password = sms_password()
    assert sip.register("anna.schmidt", password).status == 200
    page = page_text(alice_client.get(reverse("orders:detail", args=[placed.code])))
    assert "✓ SIP-Registrar: eingerichtet" in page

    # A duplicate of the registrar's task, and of the order's, change nothing.
    sent, messages = len(LocmemSmsBackend.outbox), Notification.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        run_job.apply(args=[job.pk])
        process_order(placed.pk)
    assert (len(LocmemSmsBackend.outbox), Notification.objects.count()) == (sent, messages)
    assert sip.register("anna.schmidt", password).status == 200


@pytest.fixture
def refusing(registrar):
    """A registrar that refuses every password's hashes (a constraint an operator added)."""
    registrar.sql(
        "ALTER TABLE subscriber ADD CONSTRAINT ha1_short CHECK (length(ha1) < 10) NOT VALID"
    )
    yield registrar
    registrar.sql("ALTER TABLE subscriber DROP CONSTRAINT ha1_short")


def test_a_password_the_registrar_refuses_is_never_sent(order, refusing, sip):
    placed, _anna, password = order("anna.schmidt")

    assert placed.status == Order.Status.COMPLETED
    assert password is None
    message = Notification.objects.get(kind=Notification.Kind.PASSWORD_SMS)
    assert message.status == Notification.Status.FAILED
    assert "SQLSTATE 23514" in message.last_error


def test_passwort_aendern_refused_by_the_registrar_changes_nothing(order, registrar, sip):
    _placed, anna, temporary = order("anna.schmidt")
    client, _response = myportal_login("anna.schmidt", temporary)
    registrar.sql(
        "ALTER TABLE subscriber ADD CONSTRAINT ha1_short CHECK (length(ha1) < 10) NOT VALID"
    )
    try:
        response = change_password(client, temporary, NEW_PASSWORD)
    finally:
        registrar.sql("ALTER TABLE subscriber DROP CONSTRAINT ha1_short")

    assert "Ihr neues Passwort konnte für Ihre Telefone nicht gespeichert werden." in page_text(
        response
    )
    anna.user.refresh_from_db()
    assert anna.user.check_password(temporary)
    assert sip.register("anna.schmidt", temporary).status == 200


# --- secrets ---------------------------------------------------------------------------------


def test_ha1_is_never_in_our_database_task_arguments_or_logs(
    order, sip, registrar, caplog, started_tasks
):
    caplog.set_level(logging.DEBUG)
    _placed, _anna, temporary = order("anna.schmidt")
    client, _response = myportal_login("anna.schmidt", temporary)
    change_password(client, temporary, NEW_PASSWORD)

    secrets = [temporary, NEW_PASSWORD]
    for password in secrets[:]:
        secrets += digest_hashes(
            username="anna.schmidt",
            domain=registrar.domain,
            realm=registrar.domain,
            password=password,
        )
    assert registrar.sql("SELECT ha1, ha1b FROM subscriber") == [tuple(secrets[-2:])]
    dump = io.StringIO()
    call_command("dumpdata", stdout=dump)
    assert "anna.schmidt" in dump.getvalue()
    for secret in secrets:
        assert secret not in dump.getvalue()
        assert secret not in caplog.text
        assert secret not in repr(started_tasks)
    assert {name for name, _args, _kwargs in started_tasks} >= {
        "orders.tasks.process_order",
        "provisioning.tasks.run_batch",  # an order's registrar jobs go out by the batch
        "notifications.tasks.deliver_batch",  # and its messages
    }

    def ids(value) -> bool:  # a row's id, or a batch of them
        return isinstance(value, int) or all(isinstance(i, int) for i in value)

    assert all(all(ids(a) for a in args) and not kwargs for _n, args, kwargs in started_tasks)


# --- drift -----------------------------------------------------------------------------------


def check(*args: str) -> tuple[int, list[str]]:
    """``manage.py provisioning_check``: its exit code and its lines."""
    out = io.StringIO()
    try:
        call_command("provisioning_check", *args, stdout=out)
    except SystemExit as exit:
        code = exit.code
    else:
        code = 0
    return code, out.getvalue().splitlines()


def test_provisioning_check_finds_the_drift_and_repair_fixes_what_it_can(
    order, sip, registrar, alice_client, django_capture_on_commit_callbacks
):
    order("anna.schmidt")
    _placed, ben, _password = order("ben.weber")
    _placed, cleo, cleo_password = order("cleo.krause")
    assert check() == (0, ["SIP-Registrar stimmt mit den aktiven Arbeitsplätzen überein."])
    registrar.sql("DELETE FROM subscriber WHERE username = 'ben.weber'")
    registrar.sql(
        "UPDATE dbaliases SET alias_username = '+4922818123499' WHERE username = 'cleo.krause'"
    )
    registrar.sql(
        "INSERT INTO subscriber (username, domain, ha1, ha1b) VALUES ('xaver', %s, 'x', 'x')",
        [registrar.domain],
    )

    code, lines = check()

    assert code == 1
    assert lines == [
        "ben.weber: fehlt beim SIP-Registrar",
        f"cleo.krause: Alias {cleo.number.e164} fehlt",
        "cleo.krause: überzähliger Alias +4922818123499",
        "xaver: beim SIP-Registrar, aber kein aktiver Arbeitsplatz",
        "4 Abweichungen (Alias falsch: 2, überzählig: 1, fehlt: 1).",
    ]

    code, lines = check("--repair")

    assert code == 1  # Ben's row is back, but without a password
    assert lines == [
        "ben.weber: angelegt; ein Passwort kommt erst mit „Passwort zurücksetzen“",
        "cleo.krause: Alias korrigiert",
        "cleo.krause: Alias korrigiert",
        "xaver: entfernt",
        "4 Abweichungen (Alias falsch: 2, überzählig: 1, fehlt: 1). 4 behoben, 0 offen.",
        "Nach der Reparatur bleibt offen:",
        "  ben.weber: kein Passwort gesetzt",
    ]
    assert registrar.sql(
        "SELECT username FROM dbaliases WHERE alias_username = %s", [cleo.number.e164]
    ) == [("cleo.krause",)]
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(reverse("manage:reset_password", args=[ben.code]))
    assert sip.register("ben.weber", sms_password()).status == 200
    assert check() == (0, ["SIP-Registrar stimmt mit den aktiven Arbeitsplätzen überein."])
    # The number leads to Cleo again: Ben's call reaches her phone.
    phone = free_port(socket.SOCK_DGRAM)
    assert sip.register("cleo.krause", cleo_password, port=phone).ok
    with sip.answer(phone) as cleo_phone:
        assert sip.call(cleo.number.e164, caller="ben.weber", password=sms_password()).ok
        assert cleo_phone.result().ok


def test_provisioning_check_says_when_the_registrar_cannot_be_reached(order, settings, registrar):
    order("anna.schmidt")
    settings.KAMAILIO_DATABASE_URL = closed_url(registrar)

    with pytest.raises(CommandError, match=r"^Der SIP-Registrar ist nicht erreichbar: "):
        call_command("provisioning_check")


def test_the_hourly_check_compares_the_live_workplaces_and_logs_a_summary(order, registrar, caplog):
    order("anna.schmidt")
    order("ben.weber")
    registrar.sql("DELETE FROM subscriber WHERE username = 'ben.weber'")

    with caplog.at_level(logging.INFO, logger="provisioning.tasks"):
        assert check_registrar.apply().get() == 1

    assert [r.getMessage() for r in caplog.records if r.name == "provisioning.tasks"] == [
        "registrar check: 1 difference(s) {'missing': 1}; run manage.py provisioning_check"
    ]
