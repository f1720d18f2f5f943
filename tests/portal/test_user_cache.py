"""With the user cache on (Redis in production), a page reads the user without a query, and
every change to the user or its customer counts on the next request."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from admins.services import change_admin, deactivate_admin
from portal import usercache
from portal.policy import Actor
from portal.roles import AdminRole


@pytest.fixture(autouse=True)
def _user_cache_on(settings):
    settings.USER_CACHE_SECONDS = 300


def user_queries(client, url: str, status: int = 200) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == status, response.content.decode()[:500]
    return [q["sql"] for q in queries.captured_queries if 'FROM "portal_user"' in q["sql"]]


def dashboard(client):
    return client.get(reverse("manage:dashboard"))


def test_a_page_reads_the_user_with_its_customer_from_the_cache(alice_client, alice):
    assert len(user_queries(alice_client, reverse("manage:dashboard"))) == 1
    assert user_queries(alice_client, reverse("manage:dashboard")) == []
    assert user_queries(alice_client, reverse("wizard:new", args=[alice.trunk_code])) == []


@pytest.fixture
def alice(alice, trunk):
    alice.trunk_code = trunk.code  # the page of step 2, which the trunk lets alice open
    return alice


def test_the_cache_is_off_by_default_without_redis(alice_client, settings):
    settings.USER_CACHE_SECONDS = 0
    dashboard(alice_client)
    assert len(user_queries(alice_client, reverse("manage:dashboard"))) == 1


def test_a_deactivated_admin_is_out_on_the_next_request(alice_client, alice, bob):
    assert dashboard(alice_client).status_code == 200  # alice is in the cache
    deactivate_admin(actor=Actor.for_admin(bob), admin=alice)
    response = dashboard(alice_client)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:login"))


def test_a_changed_role_counts_on_the_next_request(alice_client, alice, bob):
    assert alice_client.get(reverse("wizard:start")).status_code in (200, 302)
    change_admin(actor=Actor.for_admin(bob), admin=alice, role=AdminRole.LESER, limited=False)
    assert alice_client.get(reverse("wizard:start")).status_code == 403


def test_a_changed_password_ends_the_other_sessions(alice_client, alice):
    assert dashboard(alice_client).status_code == 200
    alice.set_password("Another-Secret-2")
    alice.save()
    assert dashboard(alice_client).status_code == 302


def test_a_change_of_the_customer_counts_for_its_admins(alice_client, demo_customer):
    assert dashboard(alice_client).status_code == 200
    demo_customer.name = "Umbenannt GmbH"
    demo_customer.save()
    assert '<span class="customer-name">Umbenannt GmbH</span>' in dashboard(alice_client).text


def test_logging_out_drops_the_copy(alice_client, alice):
    dashboard(alice_client)
    entry_key, _generation = usercache._keys(alice.pk)
    assert cache.get(entry_key) is not None
    alice_client.post(reverse("portal:logout"))
    assert cache.get(entry_key) is None


def test_a_copy_read_while_a_change_commits_is_not_used_afterwards(
    alice, monkeypatch, django_capture_on_commit_callbacks
):
    """Request A reads the old row; meanwhile B deactivates alice and commits; A then puts
    its copy in the cache. The next request must not take that copy."""
    read = usercache._query

    def read_while_b_commits(user_id):
        old = read(user_id)
        with django_capture_on_commit_callbacks(execute=True):
            type(alice).objects.filter(pk=alice.pk).update(is_active=False)
            usercache.forget(alice.pk)  # what saving the user does
        return old

    monkeypatch.setattr(usercache, "_query", read_while_b_commits)
    assert usercache.load(alice.pk).is_active  # request A, with the row it read
    monkeypatch.setattr(usercache, "_query", read)
    assert usercache.load(alice.pk).is_active is False  # the next request


class BrokenCache:
    """A cache whose server cannot be reached (Redis down)."""

    def __getattr__(self, name):
        def unreachable(*args, **kwargs):
            raise ConnectionError("Redis is down")

        return unreachable


def test_pages_and_changes_go_on_while_the_cache_is_down(alice_client, alice, bob, monkeypatch):
    monkeypatch.setattr(usercache, "cache", BrokenCache())
    assert dashboard(alice_client).status_code == 200  # the user read from the database
    deactivate_admin(actor=Actor.for_admin(bob), admin=alice)  # the drop fails, and is logged
    assert dashboard(alice_client).status_code == 302


def test_a_workplaces_new_login_email_reaches_its_cached_user(alice, trunk, packages):
    """Editing a workplace's login e-mail changes its user's e-mail, and the next page shows
    the new one rather than the cached copy."""
    from tests.services.helpers import active_workplace
    from tests.services.test_commands import edit_values
    from workplaces.services import lifecycle

    workplace = active_workplace(alice, trunk, username="joerg.mueller")
    assert usercache.load(workplace.user_id).email == workplace.auth_email
    data = {**edit_values(workplace), "auth_email": "neu@example.com"}
    data["auth_email_repeat"] = data["auth_email"]
    lifecycle.update_workplace(workplace=workplace, data=data, actor=Actor.for_admin(alice))
    assert usercache.load(workplace.user_id).email == "neu@example.com"
