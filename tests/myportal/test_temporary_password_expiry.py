"""A temporary password logs in for TEMP_PASSWORD_DAYS days; the user's own one never expires."""

from __future__ import annotations

import datetime as dt
import html
import re

from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.myportal.conftest import (
    MYPORTAL_FORGOTTEN,
    NEW_PASSWORD,
    last_mail_password,
    last_sms_password,
    log_in,
)

HOME = reverse("myportal:home")
PASSWORD_CHANGE = reverse("myportal:password_change")
EXPIRED = (
    "Ihr temporäres Passwort ist abgelaufen. Fordern Sie über „Passwort vergessen“ ein neues an."
)
WRONG = "Benutzername oder Passwort sind nicht korrekt."


def alert_of(response) -> str:
    return re.search(r'role="alert">(.*?)</div>', response.content.decode(), re.S).group(1)


def later(time_machine, **delta) -> None:
    time_machine.move_to(timezone.now() + dt.timedelta(**delta), tick=False)


def test_a_first_temporary_password_logs_in_for_seven_days(client, by_sms, time_machine):
    later(time_machine, days=7, minutes=-1)
    assert log_in(Client(), "joerg.mueller", by_sms.password)["Location"] == PASSWORD_CHANGE
    later(time_machine, minutes=2)
    response = log_in(client, "joerg.mueller", by_sms.password)
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    alert = alert_of(response)
    assert EXPIRED in re.sub(r"<[^>]+>", "", html.unescape(alert))
    assert f'<a href="{MYPORTAL_FORGOTTEN}">Passwort vergessen</a>' in alert


def test_the_days_come_from_the_setting(client, by_email, settings, time_machine):
    settings.TEMP_PASSWORD_DAYS = 2
    later(time_machine, days=2, minutes=1)
    response = log_in(client, "ohne.handy", by_email.password)
    assert "Ihr temporäres Passwort ist abgelaufen." in response.content.decode()


def test_a_wrong_password_says_only_that_it_is_wrong(client, by_sms, time_machine):
    later(time_machine, days=30)
    page = log_in(client, "joerg.mueller", "Falsch-geraten-123").content.decode()
    assert WRONG in page and "abgelaufen" not in page


def test_the_users_own_password_never_expires(end_user_client, by_sms, time_machine):
    user = by_sms.workplace.user
    user.refresh_from_db()
    assert user.temporary_password_set_at is None
    later(time_machine, days=400)
    assert log_in(Client(), "joerg.mueller", NEW_PASSWORD)["Location"] == HOME


def test_a_password_from_an_admins_reset_expires_too(
    by_email, alice_client, django_capture_on_commit_callbacks, time_machine
):
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(reverse("manage:reset_password", args=[by_email.workplace.code]))
    password = last_mail_password()
    later(time_machine, days=8)
    response = log_in(Client(), "ohne.handy", password)
    assert "Ihr temporäres Passwort ist abgelaufen." in response.content.decode()


def test_an_expired_pending_password_no_longer_logs_in(ask, end_user_client, time_machine):
    ask("joerg.mueller")
    pending = last_sms_password()
    later(time_machine, days=8)
    response = log_in(Client(), "joerg.mueller", pending)
    assert "Ihr temporäres Passwort ist abgelaufen." in response.content.decode()
    assert log_in(Client(), "joerg.mueller", NEW_PASSWORD)["Location"] == HOME


def test_a_used_pending_password_keeps_its_age(ask, end_user_client, time_machine):
    ask("joerg.mueller")
    pending = last_sms_password()
    later(time_machine, days=6)
    assert log_in(Client(), "joerg.mueller", pending)["Location"] == PASSWORD_CHANGE
    later(time_machine, days=2)
    response = log_in(Client(), "joerg.mueller", pending)
    assert "Ihr temporäres Passwort ist abgelaufen." in response.content.decode()


def test_passwort_vergessen_helps_after_the_first_password_expired(
    ask, client, by_sms, time_machine
):
    later(time_machine, days=10)
    ask("joerg.mueller")
    new = last_sms_password()
    assert log_in(client, "joerg.mueller", new)["Location"] == PASSWORD_CHANGE


def test_expired_logins_count_as_failures_for_the_lockout(by_sms, time_machine):
    later(time_machine, days=8)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = log_in(Client(), "joerg.mueller", by_sms.password)
    assert response.status_code == 429
    assert "Zu viele fehlgeschlagene Anmeldeversuche" in response.content.decode()


def test_wrong_passwords_still_lock_while_a_reset_is_pending(ask, end_user_client):
    ask("joerg.mueller")
    pending = last_sms_password()
    for n in range(settings.AXES_FAILURE_LIMIT):
        response = log_in(Client(), "joerg.mueller", f"Falsch-geraten-{n}")
    assert response.status_code == 429
    for password in (pending, NEW_PASSWORD):
        assert log_in(Client(), "joerg.mueller", password).status_code == 429
