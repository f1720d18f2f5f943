"""MyPortal pages show the user's own data: no browser or proxy keeps them."""

from __future__ import annotations

from django.urls import reverse


def test_myportal_pages_are_not_stored(end_user_client):
    for name in ("myportal:home", "myportal:password_change"):
        response = end_user_client.get(reverse(name))
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"], name
