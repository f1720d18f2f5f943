"""`manage.py seed_demo`: the demo data a newcomer logs in to after `make run`."""

from __future__ import annotations

from io import StringIO

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.http import HttpRequest
from django.urls import reverse

from catalog.models import Package
from notifications.models import Notification
from orders.models import Order, OrderItem
from portal.models import AuditEvent, Customer, User
from trunks.models import Number, NumberBlock, SipTrunk
from workplaces.models import Workplace

DEMO_PASSWORD = "Demo-Portal-2026"
SEEDED_MODELS = [Customer, User, SipTrunk, NumberBlock, Number, Workplace, Package]


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def debug(settings):
    settings.DEBUG = True


@pytest.fixture
def seeded(db, debug):
    return seed()


def test_it_creates_demo_gmbh_with_its_admin(seeded):
    customer = Customer.objects.get(name="Demo GmbH")
    admin = User.objects.get(username="demo-admin")
    assert admin.customer == customer
    assert admin.is_customer_admin
    assert not admin.is_staff


def test_it_creates_zentrale_bonn_with_three_active_workplaces(seeded):
    trunk = SipTrunk.objects.get(name="Zentrale Bonn", customer__name="Demo GmbH")
    assert trunk.workplace_quota == 25
    assert trunk.numbers.count() == 88  # 10..99 without 77 and 78
    workplaces = Workplace.objects.filter(trunk=trunk).select_related("number", "user")
    assert sorted(w.username for w in workplaces) == [
        "anna.schmidt",
        "joerg.mueller",
        "lena.weber",
    ]
    for workplace in workplaces:
        assert workplace.status == Workplace.Status.ACTIVE
        assert workplace.number.trunk == trunk
        assert workplace.user.username == workplace.username
        assert not workplace.user.has_usable_password()
    assert sorted(w.number.national for w in workplaces) == [
        "0228 181234-10",
        "0228 181234-11",
        "0228 181234-12",
    ]
    assert trunk.numbers.free().count() == 85


def test_the_bonn_workplaces_show_both_ways_of_getting_the_password(seeded):
    by_sms = Workplace.objects.get(username="anna.schmidt")
    by_mail = Workplace.objects.get(username="lena.weber")
    assert by_sms.password_by_sms
    assert by_sms.package.name == "Konferenz Plus"
    assert not by_mail.password_by_sms
    assert Workplace.objects.get(username="joerg.mueller").package is None


def test_it_creates_niederlassung_berlin_with_extensions_100_to_999(seeded):
    trunk = SipTrunk.objects.get(name="Niederlassung Berlin", customer__name="Demo GmbH")
    assert trunk.workplace_quota == 200
    block = trunk.blocks.get()
    assert (block.base, block.first_extension, block.last_extension) == (
        "+49302345678",
        100,
        999,
    )
    extensions = {int(ext) for ext in trunk.numbers.values_list("extension", flat=True)}
    assert min(extensions) == 100
    assert max(extensions) == 999
    assert trunk.numbers.count() == 900 - 2 - 20  # without 110, 112, 770-789
    assert not trunk.workplaces.exists()


def test_it_creates_beispiel_ag_with_its_admin_and_trunk(seeded):
    customer = Customer.objects.get(name="Beispiel AG")
    assert User.objects.get(username="beispiel-admin").customer == customer
    assert list(customer.trunks.values_list("name", flat=True)) == ["Hauptsitz Köln"]
    assert customer.trunks.get().numbers.exists()


def test_the_two_customers_own_different_numbers(seeded):
    koeln = SipTrunk.objects.get(name="Hauptsitz Köln")
    demo_numbers = set(Number.objects.filter(trunk__customer__name="Demo GmbH").values_list("pk"))
    assert not demo_numbers & set(koeln.numbers.values_list("pk"))


def test_it_creates_an_operator_for_the_back_office(seeded):
    operator = User.objects.get(username="operator")
    assert operator.is_staff
    assert operator.is_superuser
    assert operator.customer is None


def test_it_creates_the_workplace_product_and_three_conference_packages(seeded):
    assert [p.name for p in Package.objects.conference()] == [
        "Konferenz Basic",
        "Konferenz Plus",
        "Konferenz Premium",
    ]
    assert Package.workplace_product().name == "SIP-Trunk Arbeitsplatz"
    basic, plus, premium = Package.objects.conference()
    assert set(basic.features) < set(plus.features) < set(premium.features)
    assert basic.monthly_net < plus.monthly_net < premium.monthly_net


@pytest.mark.parametrize("username", ["demo-admin", "beispiel-admin", "operator"])
def test_the_demo_logins_use_the_documented_password(seeded, client, username):
    assert User.objects.get(username=username).check_password(DEMO_PASSWORD)
    # django-axes, first of the backends, needs the request it throttles.
    assert client.login(request=HttpRequest(), username=username, password=DEMO_PASSWORD)


def test_the_demo_admin_sees_both_trunks_after_logging_in(seeded, client):
    client.login(request=HttpRequest(), username="demo-admin", password=DEMO_PASSWORD)
    page = client.get(reverse("manage:dashboard")).content.decode()
    assert "Zentrale Bonn" in page
    assert "Niederlassung Berlin" in page
    assert "Hauptsitz Köln" not in page


def test_it_prints_the_demo_logins(seeded):
    for username in ["demo-admin", "beispiel-admin", "operator"]:
        assert username in seeded


def test_it_sets_another_password_when_asked(db, debug):
    seed("--password", "Anderes-Passwort-7")
    admin = User.objects.get(username="demo-admin")
    assert admin.check_password("Anderes-Passwort-7")
    assert not admin.check_password(DEMO_PASSWORD)


def snapshot() -> dict:
    counts = {model._meta.label: model.objects.count() for model in apps.get_models()}
    rows = {
        model._meta.label: list(model.objects.order_by("pk").values()) for model in SEEDED_MODELS
    }
    return {"counts": counts, "rows": rows}


def test_running_it_twice_changes_nothing(seeded):
    before = snapshot()
    passwords = dict(User.objects.values_list("username", "password"))
    seed()
    seed("--password", "Anderes-Passwort-7")
    assert snapshot() == before
    assert dict(User.objects.values_list("username", "password")) == passwords


def test_it_refuses_to_run_without_debug(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match=r"DEBUG.*--force"):
        seed()
    assert not Customer.objects.exists()
    assert not User.objects.exists()


def test_it_runs_without_debug_when_forced(db, settings):
    settings.DEBUG = False
    seed("--force")
    assert Customer.objects.count() == 2
    assert User.objects.get(username="demo-admin").check_password(DEMO_PASSWORD)


def test_the_demo_workplaces_come_from_a_real_order_without_messages(seeded):
    order = Order.objects.get(customer__name="Demo GmbH")
    assert order.status == Order.Status.COMPLETED
    assert order.items.filter(outcome=OrderItem.Outcome.DONE).count() == 3
    assert AuditEvent.objects.filter(action="workplace_created").count() == 3
    assert not Notification.objects.exists()


def test_it_adds_a_reader_and_a_branch_admin_limited_to_berlin(seeded, client):
    reader = User.objects.get(username="demo-leser")
    berlin = User.objects.get(username="demo-berlin")
    assert (reader.customer.name, reader.admin_role, reader.trunk_ids) == (
        "Demo GmbH",
        "leser",
        None,
    )
    assert berlin.admin_role == "bearbeiter"
    assert [t.name for t in berlin.trunks.all()] == ["Niederlassung Berlin"]
    assert not reader.two_factor and not berlin.two_factor
    assert client.login(request=HttpRequest(), username="demo-berlin", password=DEMO_PASSWORD)
    bonn = SipTrunk.objects.get(name="Zentrale Bonn")
    assert client.get(reverse("manage:numbers", args=[bonn.code])).status_code == 404


def test_a_second_run_keeps_the_demo_admins_roles(seeded):
    seed()
    assert User.objects.get(username="demo-leser").admin_role == "leser"
    assert User.objects.filter(username__startswith="demo-").count() == 3
