"""One admin cannot ask in bulk whether usernames are taken (by anyone, any customer).

"Prüfen" of the list import and the wizard's check while typing are counted per admin per
hour; over the limit the admin reads, next to the field, when to try again.
"""

from __future__ import annotations

import datetime as dt

import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.listimport.helpers import HEADER, JOERG, csv_bytes
from tests.wizard_helpers import start_draft
from workplaces.models import ImportRun

# 10:20 in Bonn: the hour's window ends at 11:00.
MORNING = dt.datetime(2026, 11, 25, 9, 20, tzinfo=dt.UTC)
HTMX = {"HX-Request": "true"}


def pruefen(client, trunk):
    data = csv_bytes([HEADER[: len(JOERG)], JOERG])
    upload = SimpleUploadedFile("liste.csv", data)
    return client.post(reverse("listimport:upload", args=[trunk.code]), {"file": upload})


def test_pruefen_over_the_limit_says_when_to_try_again_next_to_the_file(
    settings, alice_client, bob_client, trunk
):
    settings.LISTIMPORT_CHECKS_PER_HOUR = 2
    with time_machine.travel(MORNING, tick=False) as traveller:
        assert [pruefen(alice_client, trunk).status_code for _ in range(2)] == [302, 302]
        response = pruefen(alice_client, trunk)
        assert response.status_code == 429
        page = response.content.decode()
        assert '<ul class="errorlist" id="id_file_error">' in page
        assert "zu viele Listen prüfen lassen" in page
        assert "Bitte versuchen Sie es ab 11:00 Uhr erneut." in page
        assert ImportRun.objects.count() == 2  # nothing was checked
        # Another admin of the same customer has a count of his own.
        assert pruefen(bob_client, trunk).status_code == 302
        # The next hour allows checks again.
        traveller.move_to(MORNING.replace(hour=10, minute=0, second=1))
        assert pruefen(alice_client, trunk).status_code == 302


def check(client, draft, username: str):
    url = reverse("wizard:check_username", args=[draft.code])
    return client.get(url, {"username": username}, headers=HTMX)


def test_the_username_check_while_typing_is_limited_per_admin(
    settings, alice_client, bob_client, trunk
):
    settings.WIZARD_USERNAME_CHECKS_PER_HOUR = 3
    with time_machine.travel(MORNING, tick=False) as traveller:
        draft = start_draft(alice_client, trunk)
        for name in ("operator", "demo-admin", "anna.schmidt"):
            assert "ist frei" in check(alice_client, draft, name).content.decode()
        response = check(alice_client, draft, "joerg.mueller")
        # A fragment for htmx to swap in (htmx swaps no 4xx), in place of the answer.
        assert response.status_code == 200
        fragment = response.content.decode()
        assert fragment.lstrip().startswith('<div id="id_username_error"')
        assert "zu viele Benutzernamen prüfen lassen" in fragment
        assert "ab 11:00 Uhr wieder möglich" in fragment
        assert "ist frei" not in fragment and "vergeben" not in fragment
        bobs_draft = start_draft(bob_client, trunk)
        assert "ist frei" in check(bob_client, bobs_draft, "joerg.mueller").content.decode()
        traveller.move_to(MORNING.replace(hour=10, minute=0, second=1))
        assert "ist frei" in check(alice_client, draft, "joerg.mueller").content.decode()


def test_the_limit_message_is_translated(settings, alice_client, trunk):
    settings.LISTIMPORT_CHECKS_PER_HOUR = 1
    alice_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with time_machine.travel(MORNING, tick=False):
        pruefen(alice_client, trunk)
        page = pruefen(alice_client, trunk).content.decode()
    assert "Please try again from 11:00." in page
