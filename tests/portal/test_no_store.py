"""What a logged-in user receives is never stored by a browser or proxy; the rest is as before."""

from __future__ import annotations

from django.http import StreamingHttpResponse
from django.urls import reverse


def no_store(response) -> bool:
    return "no-store" in response.get("Cache-Control", "")


def test_pages_of_a_logged_in_admin_are_not_stored(alice_client, trunk):
    for url in (reverse("manage:dashboard"), reverse("portal:protokoll")):
        response = alice_client.get(url)
        assert response.status_code == 200
        assert no_store(response), url


def test_the_csv_export_is_not_stored_and_still_streams(alice_client, trunk):
    response = alice_client.get(reverse("manage:export"))
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert no_store(response)
    assert b"".join(response.streaming_content).decode("utf-8-sig").startswith("Nachname;")


def test_healthz_for_a_visitor_keeps_its_headers_and_needs_no_database(client):
    # Without the db fixture any query would fail the test.
    response = client.get(reverse("portal:healthz"))
    assert response.content == b"ok"
    assert "Cache-Control" not in response


def test_static_files_keep_their_caching_for_a_logged_in_admin(alice_client):
    response = alice_client.get("/static/css/portal.css")
    assert response.status_code == 200
    assert not no_store(response)
    b"".join(response.streaming_content)
    response.close()
