"""Every object reached by its code is scoped: foreign objects are a 404, never a 403.

Drafts are personal (like the cart): bob may not see or touch alice's unfinished setup, although
both administer Demo GmbH. Also login and logout.
"""

from __future__ import annotations

import re
import uuid
from decimal import Decimal

import pytest
from django.http import HttpRequest
from django.test import Client
from django.urls import reverse

from orders.models import Order
from portal.models import User
from portal.policy import Actor
from tests.conftest import client_for
from tests.wizard_helpers import USER_DATA, login_data, step_url
from workplaces.models import SetupDraft
from workplaces.services import setup

STEP_SLUGS = ["sip-trunk", "benutzerdaten", "benutzeranmeldung", "rufnummer", "konferenzpaket"]


@pytest.fixture
def alice_draft(alice, trunk, packages):
    """Alice's finished setup of Jörg Müller, waiting in her cart."""
    draft = setup.start_draft(actor=Actor.for_admin(alice), trunk=trunk, user_data=USER_DATA)
    setup.reserve_username(
        actor=Actor.for_admin(draft.created_by),
        draft=draft,
        username="joerg.mueller",
        contacts={"auth_email": "joerg@example.com", "without_mobile": True},
    )
    setup.reserve_number(
        actor=Actor.for_admin(draft.created_by),
        draft=draft,
        number=trunk.numbers.get(extension="10"),
    )
    setup.choose_package(
        actor=Actor.for_admin(draft.created_by), draft=draft, package=packages["konferenz-plus"]
    )
    setup.add_to_cart(draft=draft, actor=Actor.for_admin(draft.created_by))
    return draft


@pytest.fixture
def alice_order(alice):
    return Order.objects.create(
        customer=alice.customer,
        placed_by=alice,
        submission=uuid.uuid4(),
        number="2026-000001",
        monthly_net=Decimal("16.80"),
    )


def draft_requests(draft: SetupDraft, trunk) -> dict[str, tuple[str, str, dict]]:
    """Every request that names alice's draft: (method, url, data)."""
    other_number = trunk.numbers.free().exclude(pk=draft.number_id).first()
    requests = {
        f"step {slug}": ("get", step_url(draft, slug), {}) for slug in [*STEP_SLUGS, "warenkorb"]
    }
    requests |= {
        "unknown step": ("get", step_url(draft, "weiter"), {}),
        "save step 3": ("post", step_url(draft, "benutzeranmeldung"), login_data("eve.intruder")),
        "save step 4": ("post", step_url(draft, "rufnummer"), {"number": other_number.e164}),
        "username check": (
            "get",
            reverse("wizard:check_username", args=[draft.code]) + "?username=abcde",
            {},
        ),
        "discard page": ("get", reverse("wizard:discard", args=[draft.code]), {}),
        "discard": ("post", reverse("wizard:discard", args=[draft.code]), {}),
        "remove from cart": ("post", reverse("orders:remove", args=[draft.code]), {}),
    }
    return requests


DRAFT_REQUESTS = [
    *[f"step {slug}" for slug in [*STEP_SLUGS, "warenkorb"]],
    "unknown step",
    "save step 3",
    "save step 4",
    "username check",
    "discard page",
    "discard",
    "remove from cart",
]


def assert_draft_untouched(draft: SetupDraft) -> None:
    before = (draft.status, draft.username, draft.number_id, draft.package_id)
    draft.refresh_from_db()
    assert (draft.status, draft.username, draft.number_id, draft.package_id) == before


@pytest.mark.parametrize("name", DRAFT_REQUESTS)
def test_another_customers_admin_gets_404_for_a_draft(
    charlie_client, other_trunk, alice_draft, trunk, name
):
    method, url, data = draft_requests(alice_draft, trunk)[name]
    response = getattr(charlie_client, method)(url, data)
    assert response.status_code == 404
    assert_draft_untouched(alice_draft)


@pytest.mark.parametrize("name", DRAFT_REQUESTS)
def test_a_colleague_gets_404_for_a_personal_draft(bob_client, alice_draft, trunk, name):
    method, url, data = draft_requests(alice_draft, trunk)[name]
    response = getattr(bob_client, method)(url, data)
    assert response.status_code == 404
    assert_draft_untouched(alice_draft)


@pytest.mark.parametrize("name", [n for n in DRAFT_REQUESTS if n.startswith("step ")])
def test_the_owner_reaches_each_step_of_her_draft(alice_client, alice_draft, trunk, name):
    method, url, data = draft_requests(alice_draft, trunk)[name]
    response = getattr(alice_client, method)(url, data)
    assert response.status_code == 200
    assert str(alice_draft.code) in response.content.decode()


def test_the_owner_checks_a_username_for_her_draft(alice_client, alice_draft, trunk):
    url = draft_requests(alice_draft, trunk)["username check"][1]
    response = alice_client.get(url)
    assert response.status_code == 200
    assert "abcde" in response.content.decode()


def test_the_owner_removes_her_draft_from_the_cart(alice_client, alice_draft, trunk):
    url = draft_requests(alice_draft, trunk)["remove from cart"][1]
    response = alice_client.post(url)
    assert response.status_code == 302
    alice_draft.refresh_from_db()
    assert alice_draft.status == SetupDraft.Status.DISCARDED
    assert alice_draft.number is None


def trunk_urls(trunk) -> dict[str, str]:
    return {
        "numbers": reverse("manage:numbers", args=[trunk.code]),
        "new workplace": reverse("wizard:new", args=[trunk.code]),
        "overview": reverse("manage:overview") + f"?trunk={trunk.code}",
    }


@pytest.mark.parametrize("name", ["numbers", "new workplace", "overview"])
def test_another_customers_admin_gets_404_for_a_trunk(charlie_client, other_trunk, trunk, name):
    response = charlie_client.get(trunk_urls(trunk)[name])
    assert response.status_code == 404


@pytest.mark.parametrize("name", ["numbers", "new workplace", "overview"])
def test_a_colleague_reaches_the_customers_trunk(bob_client, trunk, name):
    response = bob_client.get(trunk_urls(trunk)[name])
    assert response.status_code == 200
    assert "Zentrale Bonn" in response.content.decode()


def test_starting_a_setup_on_a_foreign_trunk_creates_nothing(charlie_client, other_trunk, trunk):
    response = charlie_client.post(trunk_urls(trunk)["new workplace"], USER_DATA)
    assert response.status_code == 404
    assert not SetupDraft.objects.exists()


def test_the_overview_of_an_admin_without_trunks_shows_no_foreign_trunk(charlie_client, trunk):
    response = charlie_client.get(trunk_urls(trunk)["overview"])
    assert response.status_code == 200
    assert "Zentrale Bonn" not in response.content.decode()


def test_another_customers_admin_gets_404_for_an_order(charlie_client, alice_order):
    response = charlie_client.get(reverse("orders:detail", args=[alice_order.code]))
    assert response.status_code == 404


def test_orders_are_shared_by_the_customers_admins(bob_client, alice_order):
    response = bob_client.get(reverse("orders:detail", args=[alice_order.code]))
    assert response.status_code == 200
    assert "2026-000001" in response.content.decode()


BAD_CODES = ["not-a-uuid", "0", "' OR 1=1 --", "%00", str(uuid.UUID(int=0)), "uuid4"]


def code_requests(code: str) -> list[tuple[str, str]]:
    return [
        ("get", reverse("manage:numbers", args=[code])),
        ("get", reverse("listimport:upload", args=[code])),
        ("get", reverse("wizard:new", args=[code])),
        ("get", reverse("manage:overview") + f"?trunk={code}"),
        ("get", reverse("wizard:step", args=[code, "benutzerdaten"])),
        ("get", reverse("wizard:check_username", args=[code]) + "?username=abcde"),
        ("get", reverse("wizard:discard", args=[code])),
        ("post", reverse("wizard:discard", args=[code])),
        ("post", reverse("orders:remove", args=[code])),
        ("get", reverse("orders:detail", args=[code])),
    ]


@pytest.mark.parametrize("code", BAD_CODES)
def test_codes_that_name_nothing_give_404(alice_client, trunk, alice_order, code):
    if code == "uuid4":
        code = str(uuid.uuid4())
    for method, url in code_requests(code):
        response = getattr(alice_client, method)(url)
        assert response.status_code == 404, (method, url, response.status_code)


ADMIN_PAGES = [
    ("get", "manage:dashboard", False),
    ("get", "manage:overview", False),
    ("get", "wizard:start", False),
    ("get", "wizard:new", "trunk"),
    ("get", "wizard:step", "draft-step"),
    ("get", "wizard:check_username", "draft"),
    ("get", "wizard:discard", "draft"),
    ("get", "manage:numbers", "trunk"),
    ("get", "listimport:upload", "trunk"),
    ("post", "listimport:upload", "trunk"),
    ("get", "listimport:template_xlsx", False),
    ("get", "listimport:template_csv", False),
    ("get", "orders:cart", False),
    ("post", "orders:place", False),
    ("post", "orders:remove", "draft"),
    ("get", "orders:status", False),
    ("get", "orders:list", False),
    ("get", "orders:detail", "order"),
]


def admin_url(name: str, needs, trunk, draft, order) -> str:
    args = {
        False: [],
        "trunk": [trunk.code],
        "draft": [draft.code],
        "draft-step": [draft.code, "benutzerdaten"],
        "order": [order.code],
    }[needs]
    return reverse(name, args=args)


@pytest.mark.parametrize(("method", "name", "needs"), ADMIN_PAGES)
def test_anonymous_visitors_are_sent_to_the_login_page(
    client, trunk, alice_draft, alice_order, method, name, needs
):
    url = admin_url(name, needs, trunk, alice_draft, alice_order)
    response = getattr(client, method)(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/anmelden/?next=")
    assert_draft_untouched(alice_draft)


@pytest.fixture
def end_user(db):
    """A MyPortal login of a workplace: no customer, so no admin pages (the name is not the
    draft's: usernames are one namespace)."""
    return User.objects.create_user(username="anna.login", password="Secret-Pass-1")


@pytest.fixture
def operator(db):
    return User.objects.create_user(username="olga", password="Secret-Pass-1", is_staff=True)


@pytest.mark.parametrize("who", ["end_user", "operator"])
@pytest.mark.parametrize(("method", "name", "needs"), ADMIN_PAGES)
def test_logins_without_a_customer_are_refused_on_admin_pages(
    request, trunk, alice_draft, alice_order, method, name, needs, who
):
    user = request.getfixturevalue(who)
    url = admin_url(name, needs, trunk, alice_draft, alice_order)
    response = getattr(client_for(user), method)(url)
    assert response.status_code == 403
    assert_draft_untouched(alice_draft)


def test_removing_from_the_cart_needs_a_post(alice_client, alice_draft):
    response = alice_client.get(reverse("orders:remove", args=[alice_draft.code]))
    assert response.status_code == 405
    assert_draft_untouched(alice_draft)


# Login and logout


def test_the_login_page_speaks_german(client, db):
    response = client.get(reverse("portal:login"))
    assert response.status_code == 200
    page = response.content.decode()
    assert '<html lang="de">' in page
    assert "<h1>Anmelden</h1>" in page
    assert "Melden Sie sich als Administrator Ihres Unternehmens an." in page
    assert re.search(r'<label for="id_username">Benutzername', page)
    assert re.search(r'<label for="id_password">Passwort', page)


def csrf_token_of(page: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert match is not None
    return match.group(1)


def test_an_admin_logs_in_with_the_real_form(alice):
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(reverse("portal:login")).content.decode()
    response = browser.post(
        reverse("portal:login"),
        {
            "username": "alice",
            "password": "Secret-Pass-1",
            "csrfmiddlewaretoken": csrf_token_of(page),
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("manage:dashboard")
    dashboard = browser.get(reverse("manage:dashboard"))
    assert dashboard.status_code == 200
    assert "Demo GmbH" in dashboard.content.decode()


def test_the_login_form_refuses_a_post_without_csrf_token(alice):
    browser = Client(enforce_csrf_checks=True)
    response = browser.post(
        reverse("portal:login"), {"username": "alice", "password": "Secret-Pass-1"}
    )
    assert response.status_code == 403
    assert "_auth_user_id" not in browser.session


def test_the_test_client_logs_in_through_the_authentication_backend(client, alice):
    # django-axes, first of the backends, needs the request it throttles.
    assert client.login(request=HttpRequest(), username="alice", password="Secret-Pass-1")
    assert not client.login(request=HttpRequest(), username="alice", password="wrong-password")


def test_after_login_the_admin_lands_on_the_page_asked_for(client, alice, trunk):
    wanted = reverse("manage:numbers", args=[trunk.code])
    redirect = client.get(wanted)
    assert redirect["Location"] == f"/anmelden/?next={wanted}"
    response = client.post(
        redirect["Location"], {"username": "alice", "password": "Secret-Pass-1", "next": wanted}
    )
    assert response["Location"] == wanted


def test_the_login_never_redirects_to_another_site(client, alice):
    response = client.post(
        reverse("portal:login"),
        {"username": "alice", "password": "Secret-Pass-1", "next": "https://evil.example.com/"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("manage:dashboard")


@pytest.mark.parametrize(
    ("username", "password"),
    [("alice", "wrong-password"), ("ALICE", "Secret-Pass-1"), ("nobody", "Secret-Pass-1")],
)
def test_a_failed_login_says_so_in_german(client, alice, username, password):
    response = client.post(reverse("portal:login"), {"username": username, "password": password})
    assert response.status_code == 200
    assert "Benutzername oder Passwort sind nicht korrekt." in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_logged_in_admin_visiting_the_login_page_goes_to_the_dashboard(alice_client):
    response = alice_client.get(reverse("portal:login"))
    assert response.status_code == 302
    assert response["Location"] == reverse("manage:dashboard")


def test_logout_is_refused_as_a_get(alice_client):
    response = alice_client.get(reverse("portal:logout"))
    assert response.status_code == 405
    assert alice_client.get(reverse("manage:dashboard")).status_code == 200


def test_logout_by_post_ends_the_session(alice_client):
    response = alice_client.post(reverse("portal:logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:login")
    after = alice_client.get(reverse("manage:dashboard"))
    assert after.status_code == 302
    assert after["Location"].startswith("/anmelden/")
