"""The password backend: the pending password of "Passwort vergessen", timing-safe refusals."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.hashers import MD5PasswordHasher
from django.test import RequestFactory

from portal.models import User

CURRENT = "Sonnenblume-am-Rhein-42"
PENDING = "Hx7kPq2mWz9a"


class CountingHasher(MD5PasswordHasher):
    """The test suite's hasher, counting how often it hashes (the work an attacker can time)."""

    runs = 0

    def encode(self, password, salt):
        CountingHasher.runs += 1
        return super().encode(password, salt)


@pytest.fixture
def counting(settings):
    # Temporary passwords have their cheap hasher (not counted): a refusal must not be quicker.
    settings.PASSWORD_HASHERS = [
        f"{__name__}.CountingHasher",
        "portal.hashers.TemporaryPasswordHasher",
    ]
    CountingHasher.runs = 0
    return CountingHasher


def user_with(*, pending: bool = False, usable: bool = True, temporary: bool = False) -> User:
    user = User(username="joerg.mueller")
    if temporary:
        user.set_temporary_password(CURRENT)
    elif usable:
        user.set_password(CURRENT)
    else:
        user.set_unusable_password()
    if pending:
        user.set_pending_password(PENDING)
    user.save()
    return user


def log_in(username: str, password: str) -> User | None:
    request = RequestFactory().post("/myportal/anmelden/", REMOTE_ADDR="198.51.100.7")
    return authenticate(request, username=username, password=password)


def test_the_backend_follows_axes_and_replaces_the_model_backend():
    assert settings.AUTHENTICATION_BACKENDS == [
        "axes.backends.AxesStandaloneBackend",
        "workplaces.myportal.backends.PasswordBackend",
    ]


def test_the_current_password_works_while_a_reset_is_pending(db):
    user = user_with(pending=True)
    assert log_in("joerg.mueller", CURRENT) == user
    user.refresh_from_db()
    assert user.pending_password and not user.must_change_password


def test_the_pending_password_becomes_the_password_at_its_first_use(db):
    user = user_with(pending=True)
    assert log_in("joerg.mueller", PENDING) == user
    user.refresh_from_db()
    assert user.check_password(PENDING) and not user.check_password(CURRENT)
    assert user.must_change_password and user.temporary_password_set_at is not None
    assert user.pending_password == "" and user.pending_password_set_at is None


def test_a_deactivated_login_cannot_use_its_pending_password(db):
    user = user_with(pending=True)
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert log_in("joerg.mueller", PENDING) is None
    user.refresh_from_db()
    assert user.pending_password and user.check_password(CURRENT)


@pytest.mark.parametrize(
    ("username", "pending", "usable", "temporary"),
    [
        ("niemand.hier", False, True, False),
        ("joerg.mueller", False, True, False),
        ("joerg.mueller", True, True, False),
        ("joerg.mueller", False, False, False),
        ("joerg.mueller", False, True, True),
        ("joerg.mueller", True, True, True),
    ],
    ids=[
        "unknown user",
        "no reset pending",
        "reset pending",
        "unusable password",
        "temporary password",
        "temporary password and reset pending",
    ],
)
def test_every_refusal_does_the_same_hashing_work(
    counting, db, username, pending, usable, temporary
):
    user_with(pending=pending, usable=usable, temporary=temporary)
    counting.runs = 0
    assert log_in(username, "Falsch-geraten-123") is None
    assert counting.runs == 2


def test_temporary_passwords_sent_before_the_upgrade_expire_counting_from_it(db, time_machine):
    from importlib import import_module

    from django.apps import apps

    migration = import_module("portal.migrations.0003_user_temporary_password_set_at")
    sent = User.objects.create(username="sent", must_change_password=True)
    sent.set_password(PENDING)
    sent.save()
    own = User.objects.create(username="own")
    own.set_password(CURRENT)
    own.save()
    on_its_way = User.objects.create(username="on.its.way", must_change_password=True)
    on_its_way.set_unusable_password()
    on_its_way.save()
    User.objects.update(temporary_password_set_at=None)
    time_machine.move_to("2026-11-25 10:00 +0100", tick=False)
    migration.start_the_clock(apps, None)
    set_at = dict(User.objects.values_list("username", "temporary_password_set_at"))
    assert set_at["sent"].isoformat() == "2026-11-25T09:00:00+00:00"
    assert set_at["own"] is None and set_at["on.its.way"] is None
