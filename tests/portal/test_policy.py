"""The acting principal and the one policy: what an actor may see and change, no request."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from orders.models import Order
from portal import policy
from portal.errors import Refusal
from portal.models import Customer, User
from portal.policy import Actor
from tests.conftest import make_trunk
from tests.services.helpers import USER_DATA, draft_in_cart
from trunks.models import SipTrunk
from workplaces.models import ImportRun, SetupDraft, Workplace
from workplaces.services import setup

ROOT = Path(__file__).resolve().parents[2]


def _service_modules() -> list[Path]:
    found = [ROOT / "portal/policy.py", ROOT / "portal/errors.py", ROOT / "portal/audit.py"]
    for package in ("trunks", "catalog", "workplaces", "orders", "notifications", "provisioning"):
        found += (ROOT / package).rglob("services.py")
        found += (ROOT / package).rglob("services/*.py")
        found += (ROOT / package).rglob("service.py")
    return sorted(set(found))


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_no_service_module_imports_django_http():
    modules = _service_modules()
    assert len(modules) > 10
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            n for n in _imports(path) if n.startswith("django.http")
        )
        for path in modules
    }
    assert {path: names for path, names in offenders.items() if names} == {}
    assert "HttpRequest" not in (ROOT / "portal/policy.py").read_text()


def test_an_admin_acts_for_their_customer(alice):
    actor = Actor.for_admin(alice)
    assert (actor.user, actor.customer_id, actor.label, actor.trunk_ids, actor.staff) == (
        alice,
        alice.customer_id,
        "alice",
        None,
        False,
    )


@pytest.fixture
def second_trunk(demo_customer, packages):
    return make_trunk(demo_customer, "Filiale Köln", "+4922112345", 10, 99)


def test_an_admin_sees_the_customers_trunks_and_no_other(alice, trunk, second_trunk, other_trunk):
    seen = policy.visible(Actor.for_admin(alice), SipTrunk.objects.all())
    assert set(seen) == {trunk, second_trunk}
    assert not policy.may_see(Actor.for_admin(alice), other_trunk)


def test_drafts_and_import_runs_are_personal(alice, bob, trunk):
    draft = setup.start_draft(actor=Actor.for_admin(alice), trunk=trunk, user_data=USER_DATA)
    run = ImportRun.objects.create(
        customer=trunk.customer, trunk=trunk, created_by=alice, file_name="liste.csv"
    )
    for queryset, obj in ((SetupDraft.objects.all(), draft), (ImportRun.objects.all(), run)):
        assert list(policy.visible(Actor.for_admin(alice), queryset)) == [obj]
        assert list(policy.visible(Actor.for_admin(bob), queryset)) == []
        with pytest.raises(Refusal) as caught:
            policy.check_change(Actor.for_admin(bob), obj)
        assert caught.value.code == "not_found"


def test_an_actor_limited_to_some_trunks_sees_only_those(alice, trunk, second_trunk):
    draft_in_cart(alice, trunk, username="anna.schmidt")
    draft_in_cart(alice, second_trunk, username="bernd.bauer")
    limited = Actor(
        user=alice, customer_id=alice.customer_id, label="alice", trunk_ids=frozenset({trunk.pk})
    )
    assert list(policy.visible(limited, SipTrunk.objects.all())) == [trunk]
    drafts = policy.visible(limited, SetupDraft.objects.all())
    assert [d.username for d in drafts] == ["anna.schmidt"]
    other = SetupDraft.objects.get(username="bernd.bauer")
    with pytest.raises(Refusal) as caught:
        setup.add_to_cart(draft=other, actor=limited)
    assert caught.value.code == "not_found"


def test_a_foreign_customers_objects_are_not_found(alice, charlie, trunk):
    draft = draft_in_cart(alice, trunk, username="anna.schmidt")
    foreign = Actor.for_admin(charlie)
    assert not policy.visible(foreign, SetupDraft.objects.all()).exists()
    assert not policy.visible(foreign, Workplace.objects.all()).exists()
    assert not policy.visible(foreign, Order.objects.all()).exists()
    with pytest.raises(Refusal) as caught:
        policy.check_change(foreign, draft)
    assert (caught.value.code, caught.value.message) == ("not_found", "Nicht gefunden.")


def test_staff_in_the_back_office_see_every_customer(trunk, other_trunk):
    staff = User.objects.create_user(username="staff", is_staff=True)
    assert set(policy.visible(Actor.for_staff(staff), SipTrunk.objects.all())) == {
        trunk,
        other_trunk,
    }


def test_the_policy_refuses_a_model_it_does_not_know(alice):
    with pytest.raises(TypeError):
        policy.visible(Actor.for_admin(alice), Customer.objects.all())
