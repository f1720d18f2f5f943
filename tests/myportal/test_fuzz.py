"""MyPortal's forms under hostile input: never a 500, junk refused, nothing saved for junk.

Login, "Passwort ändern" and "Passwort vergessen" get arbitrary text (tests/fuzz.py) mixed
with the right values. Each post is refused (the form again with its errors, the login's
passwords and the outbox as before) or accepted, and then only for what was right.
"""

from __future__ import annotations

import unicodedata

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import password_validation
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from hypothesis import example, given
from hypothesis import strategies as st

from notifications.models import Notification
from portal.models import AuditEvent, User
from tests.conftest import client_for
from tests.fuzz import (
    HTMX,
    accepted,
    as_sent,
    assert_refused,
    field,
    form,
    fuzz,
    fuzz_fewer,
    headers,
)
from tests.myportal.conftest import MYPORTAL_FORGOTTEN, MYPORTAL_LOGIN, NEW_PASSWORD
from workplaces.validators import validate_username

HOME = reverse("myportal:home")
PASSWORD_CHANGE = reverse("myportal:password_change")
OTHER_PASSWORD = "Rheinaue-im-Nebel-2026"
#: Each breaks one of the password validators (length, numeric, common, like the username).
WEAK_PASSWORDS = ("Kurz-1", "1234567890123", "password123", "joerg.mueller1")
CHANGE = {
    "current_password": NEW_PASSWORD,
    "new_password": OTHER_PASSWORD,
    "new_password_repeat": OTHER_PASSWORD,
}


@pytest.fixture
def joerg(end_user_client, by_sms) -> User:
    """Jörg has his own password (NEW_PASSWORD); his temporary one is gone."""
    user = by_sms.workplace.user
    user.refresh_from_db()
    return user


def passwords(user: User) -> tuple:
    """What a refused post must leave alone: the login's passwords and their flags."""
    fields = ("last_login", *User.TEMPORARY_PASSWORD_FIELDS, *User.PENDING_PASSWORD_FIELDS)
    return tuple(User.objects.filter(pk=user.pk).values_list(*fields).get())


def fresh_counters() -> None:
    """Each example starts without failed logins or reset requests: the checks behind the
    throttling are what is fuzzed here (the throttling has tests/myportal/test_throttling.py)."""
    AccessAttempt.objects.all().delete()
    cache.clear()


def logged_in_as(client: Client) -> str | None:
    return client.session.get("_auth_user_id")


# --- Login -----------------------------------------------------------------------------------


#: Stands for Jörg's temporary password (from the SMS), which his own password replaced.
TEMPORARY = "<the temporary password>"


def the_right_and_the_nearly_right_logins(test):
    for body in (
        {"username": "joerg.mueller", "password": NEW_PASSWORD},
        {"username": " joerg.mueller ", "password": NEW_PASSWORD},
        {"username": "joerg.mueller", "password": TEMPORARY},
        {"username": "joerg.mueller", "password": NEW_PASSWORD + " "},
        {"username": "joerg.mueller", "password": NEW_PASSWORD.lower()},
        {"username": "alice", "password": "Secret-Pass-1"},  # an admin: not for MyPortal
        {"username": "joerg.mueller"},
        {"password": NEW_PASSWORD},
        {"username": "0" * 300, "password": "0"},  # found by this test: a 500 on PostgreSQL
    ):
        test = example(body=body, htmx=False)(test)
    return test


@fuzz
@given(
    body=form(
        username=field("joerg.mueller", "alice"),
        password=field(NEW_PASSWORD, TEMPORARY, "Secret-Pass-1"),
    ),
    htmx=HTMX,
)
@the_right_and_the_nearly_right_logins
def test_login(joerg, by_sms, body, htmx):
    if body.get("password") == TEMPORARY:
        body = {**body, "password": by_sms.password}
    fresh_counters()
    before = passwords(joerg)
    client = Client()
    response = client.post(MYPORTAL_LOGIN, as_sent(body), headers=headers(htmx))
    if accepted(response):
        # Django's username field strips the input and folds it to NFKC.
        assert unicodedata.normalize("NFKC", body["username"].strip()) == "joerg.mueller"
        assert body["password"] == NEW_PASSWORD
        assert response["Location"] == HOME
        assert logged_in_as(client) == str(joerg.pk)
    else:
        assert_refused(response)
        assert logged_in_as(client) is None
        assert passwords(joerg) == before


# --- Passwort ändern -------------------------------------------------------------------------


@fuzz
@given(
    body=form(
        current_password=field(NEW_PASSWORD),
        new_password=st.one_of(
            field(OTHER_PASSWORD, NEW_PASSWORD), st.sampled_from(WEAK_PASSWORDS)
        ),
        new_password_repeat=field(OTHER_PASSWORD),
    ),
    htmx=HTMX,
)
@example(body={**CHANGE, "current_password": NEW_PASSWORD + "x"}, htmx=False)
@example(body={**CHANGE, "new_password_repeat": OTHER_PASSWORD + "x"}, htmx=False)
@example(
    body={**CHANGE, "new_password": NEW_PASSWORD, "new_password_repeat": NEW_PASSWORD}, htmx=False
)
@example(body={**CHANGE, "new_password": "Kurz-1", "new_password_repeat": "Kurz-1"}, htmx=False)
@example(
    body={**CHANGE, "new_password": "1234567890123", "new_password_repeat": "1234567890123"},
    htmx=False,
)
@example(
    body={**CHANGE, "new_password": "password123", "new_password_repeat": "password123"}, htmx=False
)
@example(
    body={**CHANGE, "new_password": "joerg.mueller1", "new_password_repeat": "joerg.mueller1"},
    htmx=False,
)
@example(body=CHANGE, htmx=False)
def test_password_change(joerg, body, htmx):
    fresh_counters()
    client = client_for(joerg)  # logging in sets last_login
    before = passwords(joerg)
    response = client.post(PASSWORD_CHANGE, as_sent(body), headers=headers(htmx))
    joerg.refresh_from_db()
    if accepted(response):
        new = body["new_password"]
        assert body["current_password"] == NEW_PASSWORD
        assert new == body["new_password_repeat"] and new != NEW_PASSWORD
        password_validation.validate_password(new, joerg)
        assert joerg.check_password(new) and not joerg.check_password(NEW_PASSWORD)
        assert response["Location"] == HOME
        # Back to the known password for the next example.
        joerg.set_password(NEW_PASSWORD)
        joerg.save(update_fields=["password"])
    else:
        assert_refused(response)
        assert passwords(joerg) == before
        assert joerg.check_password(NEW_PASSWORD)


# --- Passwort vergessen ----------------------------------------------------------------------


@fuzz_fewer
@given(body=form(username=field("joerg.mueller", "ohne.handy", "alice")), htmx=HTMX)
@example(body={"username": "joerg.mueller"}, htmx=False)
@example(body={"username": " joerg.mueller\t"}, htmx=False)
@example(body={"username": "Joerg.Mueller"}, htmx=False)
@example(body={"username": "jörg.müller"}, htmx=False)
@example(body={"username": "joerg..mueller"}, htmx=False)
@example(body={"username": "alice"}, htmx=False)  # an admin: nothing sent
@example(body={}, htmx=False)
def test_password_forgotten(joerg, body, htmx):
    fresh_counters()
    before = passwords(joerg)
    outbox = set(Notification.objects.values_list("pk", flat=True))
    events = AuditEvent.objects.count()
    response = Client().post(MYPORTAL_FORGOTTEN, as_sent(body), headers=headers(htmx))
    queued = list(Notification.objects.exclude(pk__in=outbox))
    if accepted(response):
        username = body["username"].strip()
        validate_username(username)
        assert response["Location"] == MYPORTAL_LOGIN
        if username == "joerg.mueller":  # the only live workplace: a new password by SMS
            [reset] = queued
            assert reset.kind == Notification.Kind.PASSWORD_RESET_SMS
            assert reset.user_id == joerg.pk and reset.keeps_current_password
        else:
            assert queued == [] and AuditEvent.objects.count() == events
    else:
        assert_refused(response, "username")
        assert queued == [] and AuditEvent.objects.count() == events
    # Nothing changes for the login until the new password is delivered and used.
    assert passwords(joerg) == before
