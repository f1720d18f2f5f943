"""The admin login: where it leads a logged-in admin, and what an error report may show."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.views.debug import SafeExceptionReporterFilter

LOGIN = reverse("portal:login")
DASHBOARD = reverse("manage:dashboard")
HIDDEN = SafeExceptionReporterFilter.cleansed_substitute


@pytest.mark.parametrize(
    "next_url", [LOGIN, f"{LOGIN}?next={LOGIN}", f"http://testserver{LOGIN}", f"{LOGIN}#oben"]
)
def test_a_logged_in_admin_whose_next_is_the_login_goes_to_the_dashboard(alice_client, next_url):
    response = alice_client.get(LOGIN, {"next": next_url})
    assert response.status_code == 302
    assert response["Location"] == DASHBOARD


def test_a_logged_in_admin_still_follows_another_next(alice_client):
    protokoll = reverse("portal:protokoll")
    response = alice_client.get(LOGIN, {"next": protokoll})
    assert response.status_code == 302
    assert response["Location"] == protokoll


def test_logging_in_with_the_login_as_next_ends_on_the_dashboard(alice):
    client = Client()
    response = client.post(
        f"{LOGIN}?next={LOGIN}", {"username": "alice", "password": "Secret-Pass-1"}, follow=True
    )
    assert response.redirect_chain[-1] == (DASHBOARD, 302)
    assert response.status_code == 200


@pytest.mark.parametrize("url", [LOGIN, reverse("admin:login")])
def test_an_error_report_of_a_login_hides_the_password(alice, url):
    response = Client().post(url, {"username": "alice", "password": "Falsch-Geraten-1"})
    shown = SafeExceptionReporterFilter().get_post_parameters(response.wsgi_request)
    assert shown["password"] == HIDDEN


@pytest.mark.parametrize(
    "url",
    [LOGIN, reverse("myportal:login"), reverse("admin:login")],
    ids=["portal", "myportal", "betrieb"],
)
def test_a_username_longer_than_the_throttling_records_is_a_failed_login(db, url):
    """Found by MyPortal's fuzz test on PostgreSQL: django-axes' records hold 255 characters
    of the username; a longer one (scanners send them) was a database error, a 500."""
    from axes.models import AccessAttempt

    username = "x" * 300
    response = Client().post(url, {"username": username, "password": "geraten"})
    assert response.status_code == 200
    assert response.context["form"].errors
    [attempt] = AccessAttempt.objects.all()
    assert attempt.username == username[:255] and attempt.failures_since_start == 1
