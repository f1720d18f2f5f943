"""An error report (Django's, to the operators) never shows a password posted to MyPortal."""

from __future__ import annotations

from django.urls import reverse
from django.views.debug import SafeExceptionReporterFilter

from tests.myportal.conftest import NEW_PASSWORD, log_in

HIDDEN = SafeExceptionReporterFilter.cleansed_substitute


def shown_in_a_report(response) -> dict:
    return SafeExceptionReporterFilter().get_post_parameters(response.wsgi_request)


def test_the_login_hides_the_password(client, by_sms):
    shown = shown_in_a_report(log_in(client, "joerg.mueller", by_sms.password))
    assert shown["password"] == HIDDEN


def test_the_password_change_hides_all_three_passwords(client, by_sms):
    log_in(client, "joerg.mueller", by_sms.password)
    response = client.post(
        reverse("myportal:password_change"),
        {
            "current_password": by_sms.password,
            "new_password": NEW_PASSWORD,
            "new_password_repeat": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    shown = shown_in_a_report(response)
    for field in ("current_password", "new_password", "new_password_repeat"):
        assert shown[field] == HIDDEN
