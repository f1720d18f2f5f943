"""Drive the setup wizard over HTTP like a browser without JavaScript would."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from workplaces.models import SetupDraft

USER_DATA = {
    "first_name": "Jörg",
    "last_name": "Müller",
    "street": "Friedrich-Ebert-Allee",
    "house_number": "140",
    "postcode": "53113",
    "city": "Bonn",
    "email": "joerg.mueller@example.com",
}


def login_data(username: str = "joerg.mueller", *, mobile: str = "0170 1234567") -> dict:
    data = {
        "username": username,
        "auth_email": "joerg@example.com",
        "auth_email_repeat": "joerg@example.com",
    }
    if mobile:
        data["mobile"] = mobile
    else:
        data["without_mobile"] = "on"
    return data


def step_url(draft: SetupDraft, slug: str) -> str:
    return reverse("wizard:step", args=[draft.code, slug])


def start_draft(client: Client, trunk, user_data: dict | None = None) -> SetupDraft:
    response = client.post(reverse("wizard:new", args=[trunk.code]), user_data or USER_DATA)
    assert response.status_code == 302, response.content.decode()[:2000]
    code = response["Location"].split("/")[-3]
    return SetupDraft.objects.get(code=code)


def complete_draft(
    client: Client,
    trunk,
    *,
    username: str = "joerg.mueller",
    number: str | None = None,
    package: str = "konferenz-plus",
    mobile: str = "0170 1234567",
) -> SetupDraft:
    """Run steps 2 to 6 and put the draft into the cart."""
    draft = start_draft(client, trunk)
    response = client.post(
        step_url(draft, "benutzeranmeldung"), login_data(username, mobile=mobile)
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    if number is None:
        number = trunk.numbers.free().order_by("e164").first().e164
    response = client.post(step_url(draft, "rufnummer"), {"number": number})
    assert response.status_code == 302, response.content.decode()[:3000]
    response = client.post(step_url(draft, "konferenzpaket"), {"package": package})
    assert response.status_code == 302
    response = client.post(step_url(draft, "warenkorb"))
    assert response.status_code == 302
    draft.refresh_from_db()
    return draft
