"""API keys (issue 18, item 2): the page "API-Schlüssel", the command, the key as the actor."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse

from api import services
from api.models import ApiKey
from portal.policy import Actor

KEYS = reverse("api:keys")
NEW_KEY = re.compile(r'<code class="api-key" id="new-key">(stp_[A-Za-z0-9_-]+)</code>')


def all_database_text() -> str:
    """Every text value of every table, for "the key is nowhere in the database"."""
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            found.extend(str(value) for row in cursor.fetchall() for value in row)
    return "\n".join(found)


def test_the_top_bar_links_the_page(alice_client):
    page = alice_client.get(reverse("orders:status")).content.decode()
    assert f'href="{KEYS}"' in page
    assert "API-Schlüssel" in page


def test_a_new_key_is_shown_once_and_stored_as_its_hash_only(alice_client, alice):
    response = alice_client.post(KEYS, {"name": "Personalsystem"})
    assert response.status_code == 200
    page = response.content.decode()
    raw_key = NEW_KEY.search(page).group(1)
    assert "nur dieses eine Mal angezeigt" in page
    api_key = ApiKey.objects.get()
    assert (api_key.name, api_key.admin) == ("Personalsystem", alice)
    assert api_key.key_hash == services.hash_key(raw_key) != raw_key
    assert raw_key.startswith(api_key.prefix)
    assert len(raw_key) >= 40
    assert raw_key not in all_database_text()
    # Listed by name, prefix, creation date and last use, but the key never again.
    listing = alice_client.get(KEYS).content.decode()
    assert raw_key not in listing
    assert "Personalsystem" in listing and f"{api_key.prefix}…" in listing
    assert "noch nie" in listing


def test_a_key_needs_a_name(alice_client):
    response = alice_client.post(KEYS, {"name": "  "})
    assert response.status_code == 400
    assert "Dieses Feld ist zwingend erforderlich." in response.content.decode()
    assert not ApiKey.objects.exists()


def test_an_admin_revokes_a_key_after_confirming(alice_client, alice):
    api_key, raw_key = services.create_api_key(actor=Actor.for_admin(alice), name="HR")
    url = reverse("api:revoke", args=[api_key.code])
    confirm = alice_client.get(url)
    assert confirm.status_code == 200
    assert "Wollen Sie den API-Schlüssel „HR“" in confirm.content.decode()
    api_key.refresh_from_db()
    assert api_key.revoked_at is None  # a GET changes nothing
    response = alice_client.post(url)
    assert response.status_code == 302
    api_key.refresh_from_db()
    assert api_key.revoked_at is not None
    assert services.authenticate(raw_key) is None
    assert "widerrufen am" in alice_client.get(KEYS).content.decode()


def test_charlie_neither_sees_nor_revokes_alices_key(alice_client, charlie_client, alice):
    # A name no random token on the page can contain (a CSRF token once held "HR").
    name = "Personalsystem der Demo GmbH"
    api_key, _raw = services.create_api_key(actor=Actor.for_admin(alice), name=name)
    assert name in alice_client.get(KEYS).content.decode()
    page = charlie_client.get(KEYS).content.decode()
    assert name not in page
    assert api_key.prefix not in page
    url = reverse("api:revoke", args=[api_key.code])
    assert charlie_client.get(url).status_code == 404
    assert charlie_client.post(url).status_code == 404
    api_key.refresh_from_db()
    assert api_key.revoked_at is None


def test_the_command_prints_the_key_alone_on_its_last_line(alice):
    out = StringIO()
    call_command("create_api_key", "alice", "--name", "Personalsystem", stdout=out)
    last_line = out.getvalue().rstrip("\n").split("\n")[-1]
    api_key = ApiKey.objects.get()
    assert last_line.startswith("stp_") and " " not in last_line
    assert api_key.key_hash == services.hash_key(last_line)
    assert (api_key.name, api_key.admin) == ("Personalsystem", alice)
    actor = services.authenticate(last_line)[1]
    assert (actor.user, actor.customer_id) == (alice, alice.customer_id)


def test_the_command_refuses_a_user_who_is_no_customer_admin(db, django_user_model):
    django_user_model.objects.create_user(username="operator", is_staff=True)
    with pytest.raises(CommandError):
        call_command("create_api_key", "operator", "--name", "X", stdout=StringIO())
    with pytest.raises(CommandError):
        call_command("create_api_key", "nobody", "--name", "X", stdout=StringIO())
    assert not ApiKey.objects.exists()
