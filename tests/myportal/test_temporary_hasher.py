"""Temporary passwords (random, made by the portal) use the cheap hasher; chosen ones Argon2."""

from __future__ import annotations

from django.contrib.auth.hashers import identify_hasher
from django.test import Client
from django.urls import reverse

from portal.hashers import TemporaryPasswordHasher
from tests.myportal.conftest import NEW_PASSWORD, log_in

ARGON2_FIRST = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "portal.hashers.TemporaryPasswordHasher",
]


def test_the_delivered_temporary_password_is_stored_with_the_cheap_hasher_and_checks(by_sms):
    user = by_sms.workplace.user
    user.refresh_from_db()
    assert identify_hasher(user.password).algorithm == TemporaryPasswordHasher.algorithm
    assert user.check_password(by_sms.password)
    assert not user.check_password(by_sms.password + "x")


def test_login_with_the_temporary_password_works(by_sms):
    response = log_in(Client(), "joerg.mueller", by_sms.password)
    assert response.status_code == 302
    assert response["Location"] == reverse("myportal:password_change")


def test_a_chosen_password_is_hashed_with_argon2(by_sms, settings):
    settings.PASSWORD_HASHERS = ARGON2_FIRST
    client = Client()
    log_in(client, "joerg.mueller", by_sms.password)
    response = client.post(
        reverse("myportal:password_change"),
        {"new_password": NEW_PASSWORD, "new_password_repeat": NEW_PASSWORD},
    )
    assert response.status_code == 302
    user = by_sms.workplace.user
    user.refresh_from_db()
    assert identify_hasher(user.password).algorithm == "argon2"
    assert user.check_password(NEW_PASSWORD)
