"""MyPortal login: the temporary password leads straight to "Passwort ändern", and only there."""

from __future__ import annotations

import html
import re

import pytest
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import translation

from tests.myportal.conftest import MYPORTAL_LOGIN, NEW_PASSWORD, log_in
from workplaces.models import Workplace

PASSWORD_CHANGE = reverse("myportal:password_change")
HOME = reverse("myportal:home")


def change_form(current: str, new: str, repeat: str | None = None) -> dict:
    return {
        "current_password": current,
        "new_password": new,
        "new_password_repeat": new if repeat is None else repeat,
    }


def test_myportal_sends_a_visitor_to_its_login_page(client, db):
    response = client.get(HOME)
    assert response.status_code == 302
    assert response["Location"] == f"{MYPORTAL_LOGIN}?next={HOME}"
    page = client.get(MYPORTAL_LOGIN).content.decode()
    assert "Anmelden bei MyPortal" in page
    assert 'for="id_username"' in page and 'for="id_password"' in page
    assert reverse("myportal:password_forgotten") in page


def test_the_first_login_goes_straight_to_the_password_change(client, by_sms):
    response = log_in(client, "joerg.mueller", by_sms.password)
    assert response.status_code == 302
    assert response["Location"] == PASSWORD_CHANGE
    page = client.get(PASSWORD_CHANGE).content.decode()
    assert "Sie haben sich mit einem temporären Passwort angemeldet." in page
    for field in ("new_password", "new_password_repeat"):
        assert f'for="id_{field}"' in page
    # The temporary password was typed a moment ago: it is not asked for again.
    assert 'name="current_password"' not in page


def test_the_first_change_needs_no_current_password(client, by_sms):
    log_in(client, "joerg.mueller", by_sms.password)
    response = client.post(
        PASSWORD_CHANGE, {"new_password": NEW_PASSWORD, "new_password_repeat": NEW_PASSWORD}
    )
    assert response.status_code == 302 and response["Location"] == HOME
    assert log_in(Client(), "joerg.mueller", NEW_PASSWORD)["Location"] == HOME


def test_a_later_change_asks_for_the_current_password(end_user_client):
    page = end_user_client.get(PASSWORD_CHANGE).content.decode()
    assert 'for="id_current_password"' in page
    response = end_user_client.post(
        PASSWORD_CHANGE,
        {"new_password": "Mondschein-am-Main-77", "new_password_repeat": "Mondschein-am-Main-77"},
    )
    assert response.status_code == 200
    assert "Dieses Feld ist zwingend erforderlich." in response.content.decode()
    assert log_in(Client(), "joerg.mueller", NEW_PASSWORD)["Location"] == HOME


def test_every_broken_password_rule_is_reported_at_once(client, by_sms):
    log_in(client, "joerg.mueller", by_sms.password)
    response = client.post(PASSWORD_CHANGE, change_form(by_sms.password, "12345", "12346"))
    page = html.unescape(response.content.decode())
    new_errors = page.split('id="id_new_password_error"', 1)[1].split("</ul>", 1)[0]
    assert "Das Passwort ist zu kurz: Es muss mindestens 10 Zeichen haben." in new_errors
    assert "Das Passwort ist zu verbreitet und daher leicht zu erraten." in new_errors
    assert "Das Passwort darf nicht nur aus Ziffern bestehen." in new_errors
    repeat_errors = page.split('id="id_new_password_repeat_error"', 1)[1].split("</ul>", 1)[0]
    assert "Die beiden neuen Passwörter stimmen nicht überein." in repeat_errors


def test_the_first_login_ignores_next_until_the_password_is_changed(client, by_sms):
    response = client.post(
        MYPORTAL_LOGIN, {"username": "joerg.mueller", "password": by_sms.password, "next": HOME}
    )
    assert response["Location"] == PASSWORD_CHANGE


def test_nothing_else_is_reachable_before_the_password_is_changed(client, by_sms):
    log_in(client, "joerg.mueller", by_sms.password)
    response = client.get(HOME)
    assert response.status_code == 302
    assert response["Location"] == PASSWORD_CHANGE
    assert "Mein Arbeitsplatz" not in client.get(PASSWORD_CHANGE).content.decode()


@pytest.mark.parametrize(
    ("new", "repeat", "field", "message"),
    [
        ("kurz-1", None, "new_password", "zu kurz"),
        ("1234567890123", None, "new_password", "nicht nur aus Ziffern"),
        ("password1234", None, "new_password", "zu verbreitet"),
        ("joerg.mueller1", None, "new_password", "ähnelt zu sehr Ihren eigenen Angaben"),
        # Long enough for Django's own validators; the strength check refuses them.
        ("a" * 65, None, "new_password", "Ihr Passwort ist zu leicht zu erraten"),
        ("Sommer2026", None, "new_password", "Ihr Passwort ist zu leicht zu erraten"),
        (NEW_PASSWORD, "Sonnenblume-am-Rhein-43", "new_password_repeat", "stimmen nicht überein"),
    ],
)
def test_a_new_password_must_pass_the_validators(client, by_sms, new, repeat, field, message):
    log_in(client, "joerg.mueller", by_sms.password)
    response = client.post(PASSWORD_CHANGE, change_form(by_sms.password, new, repeat))
    assert response.status_code == 200
    page = response.content.decode()
    error_list = page.split(f'id="id_{field}_error"', 1)[1].split("</ul>", 1)[0]
    assert message in error_list
    assert f'aria-invalid="true" aria-describedby="id_{field}' in page
    assert re.search(rf'aria-describedby="[^"]*\bid_{field}_error\b', page)
    user = by_sms.workplace.user
    user.refresh_from_db()
    assert user.must_change_password
    assert user.check_password(by_sms.password)


def test_a_strong_password_is_accepted(client, by_sms):
    log_in(client, "joerg.mueller", by_sms.password)
    response = client.post(PASSWORD_CHANGE, change_form(by_sms.password, "Kranich-über-Zons-81"))
    assert response.status_code == 302
    by_sms.workplace.user.refresh_from_db()
    assert by_sms.workplace.user.check_password("Kranich-über-Zons-81")


def test_the_current_password_must_be_right(end_user_client, by_sms):
    response = end_user_client.post(
        PASSWORD_CHANGE, change_form("Falsch-geraten-123", "Mondschein-am-Main-77")
    )
    assert "Das bisherige Passwort ist nicht korrekt." in response.content.decode()
    assert log_in(Client(), "joerg.mueller", NEW_PASSWORD)["Location"] == HOME


def test_the_temporary_password_cannot_stay(client, by_sms):
    log_in(client, "joerg.mueller", by_sms.password)
    response = client.post(PASSWORD_CHANGE, change_form(by_sms.password, by_sms.password))
    assert "Das neue Passwort muss sich vom bisherigen Passwort unterscheiden." in (
        response.content.decode()
    )


def test_after_the_change_only_the_new_password_works(client, by_sms):
    log_in(client, "joerg.mueller", by_sms.password)
    response = client.post(PASSWORD_CHANGE, change_form(by_sms.password, NEW_PASSWORD))
    assert response.status_code == 302
    assert response["Location"] == HOME
    # The session survives the change (update_session_auth_hash) ...
    home = client.get(HOME)
    assert home.status_code == 200
    assert "Ihr neues Passwort ist gespeichert." in home.content.decode()
    user = by_sms.workplace.user
    user.refresh_from_db()
    assert not user.must_change_password
    # ... the temporary password is refused, the new one lets the user in.
    again = Client()
    refused = log_in(again, "joerg.mueller", by_sms.password)
    assert refused.status_code == 200
    assert "Benutzername oder Passwort sind nicht korrekt." in refused.content.decode()
    accepted = log_in(again, "joerg.mueller", NEW_PASSWORD)
    assert accepted["Location"] == HOME


def test_a_changed_password_ends_the_users_other_sessions(client, by_sms):
    other_device = Client()
    log_in(other_device, "joerg.mueller", by_sms.password)
    log_in(client, "joerg.mueller", by_sms.password)
    client.post(PASSWORD_CHANGE, change_form(by_sms.password, NEW_PASSWORD))
    response = other_device.get(PASSWORD_CHANGE)
    assert response.status_code == 302
    assert response["Location"].startswith(MYPORTAL_LOGIN)


def test_the_email_channel_password_works_the_same_way(client, by_email):
    response = log_in(client, "ohne.handy", by_email.password)
    assert response["Location"] == PASSWORD_CHANGE
    response = client.post(PASSWORD_CHANGE, change_form(by_email.password, NEW_PASSWORD))
    assert response["Location"] == HOME


def test_logging_out_returns_to_the_myportal_login(end_user_client):
    page = end_user_client.get(HOME).content.decode()
    assert f'name="next" value="{MYPORTAL_LOGIN}"' in page
    response = end_user_client.post(reverse("portal:logout"), {"next": MYPORTAL_LOGIN})
    assert response["Location"] == MYPORTAL_LOGIN
    assert end_user_client.get(HOME).status_code == 302


def test_a_logged_in_user_opening_the_login_page_sees_the_workplace(end_user_client):
    response = end_user_client.get(MYPORTAL_LOGIN)
    assert response["Location"] == HOME


def test_a_wrong_password_is_refused_in_german(client, by_sms):
    response = log_in(client, "joerg.mueller", "Falsch-geraten-123")
    assert response.status_code == 200
    assert "Benutzername oder Passwort sind nicht korrekt." in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_deactivated_login_cannot_log_in(client, by_sms):
    user = by_sms.workplace.user
    user.is_active = False
    user.save(update_fields=["is_active"])
    response = log_in(client, "joerg.mueller", by_sms.password)
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_a_deleted_workplace_cannot_log_in(client, by_sms):
    Workplace.objects.filter(pk=by_sms.workplace.pk).update(status=Workplace.Status.DELETED)
    response = log_in(client, "joerg.mueller", by_sms.password)
    assert response.status_code == 200
    assert "Dieser Arbeitsplatz ist nicht mehr aktiv." in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_workplace_deleted_during_the_session_shuts_myportal(end_user_client, by_sms):
    Workplace.objects.filter(pk=by_sms.workplace.pk).update(status=Workplace.Status.DELETED)
    assert end_user_client.get(HOME).status_code == 403


def test_a_workplace_with_scheduled_cancellation_still_logs_in(client, by_sms):
    Workplace.objects.filter(pk=by_sms.workplace.pk).update(
        status=Workplace.Status.CANCEL_SCHEDULED
    )
    response = log_in(client, "joerg.mueller", by_sms.password)
    assert response["Location"] == PASSWORD_CHANGE


def test_a_logged_in_user_whose_next_is_the_login_goes_to_the_workplace(end_user_client):
    response = end_user_client.get(MYPORTAL_LOGIN, {"next": MYPORTAL_LOGIN})
    assert response.status_code == 302
    assert response["Location"] == HOME


def test_logging_in_with_the_login_as_next_ends_on_the_workplace_page(client, by_sms):
    log_in(client, "joerg.mueller", by_sms.password)
    client.post(PASSWORD_CHANGE, change_form(by_sms.password, NEW_PASSWORD))
    client.logout()
    response = client.post(
        f"{MYPORTAL_LOGIN}?next={MYPORTAL_LOGIN}",
        {"username": "joerg.mueller", "password": NEW_PASSWORD},
        follow=True,
    )
    assert response.redirect_chain[-1] == (HOME, 302)
    assert "Mein Arbeitsplatz" in response.content.decode()


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("de", "Ihr Passwort ist zu leicht zu erraten"),
        ("en", "Your password is too guessable"),
    ],
)
def test_the_strength_check_speaks_german_and_english(language, message):
    with translation.override(language), pytest.raises(ValidationError) as refused:
        password_validation.validate_password("a" * 65)
    assert any(text.startswith(message) for text in refused.value.messages)
