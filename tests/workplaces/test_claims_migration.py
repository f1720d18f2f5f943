"""The claims table is filled from a database seeded by the previous version, keeping every row."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [
    ("portal", "0004_auditevent_params"),
    ("workplaces", "0007_mobile_length"),
    ("trunks", "0001_initial"),
]
AFTER = [("portal", "0005_username_claims")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture(autouse=True)
def back_to_the_latest_schema():
    """The tests after this one need every migration applied again."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_the_migration_claims_every_name_in_use_and_keeps_every_row():
    old = migrate(BEFORE)
    customer = old.get_model("portal", "Customer").objects.create(name="Demo", number="K1")
    users = old.get_model("portal", "User").objects
    admin = users.create(username="alice", customer=customer)
    users.create(username="Olga.Staff", is_staff=True)
    login = users.create(username="aktiv.platz")
    trunk = old.get_model("trunks", "SipTrunk").objects.create(
        customer=customer, name="Zentrale", workplace_quota=5
    )
    workplaces = old.get_model("workplaces", "Workplace").objects
    workplaces.create(trunk=trunk, username="aktiv.platz", user=login, status="active")
    workplaces.create(trunk=trunk, username="weg.platz", status="deleted")
    drafts = old.get_model("workplaces", "SetupDraft").objects
    drafts.create(customer=customer, created_by=admin, trunk=trunk, username="im.entwurf")
    drafts.create(customer=customer, created_by=admin, trunk=trunk, username=None)
    # Only the back office could make this: an admin named like a draft but for the case.
    users.create(username="Im.Entwurf")
    counts = {
        "users": users.count(),
        "workplaces": workplaces.count(),
        "drafts": drafts.count(),
    }

    new = migrate(AFTER)

    claims = {
        c.name: (c.user_id, c.workplace_id, c.draft_id)
        for c in new.get_model("portal", "UsernameClaim").objects.all()
    }
    workplace = new.get_model("workplaces", "Workplace").objects
    user = new.get_model("portal", "User").objects
    assert claims == {
        # a workplace holds its name with its login, even once deleted
        "aktiv.platz": (None, workplace.get(username="aktiv.platz").pk, None),
        "weg.platz": (None, workplace.get(username="weg.platz").pk, None),
        "alice": (admin.pk, None, None),
        "Olga.Staff": (user.get(username="Olga.Staff").pk, None, None),
        # the name two rows share is claimed once (the draft's order is then refused)
        "Im.Entwurf": (user.get(username="Im.Entwurf").pk, None, None),
    }
    assert {
        "users": user.count(),
        "workplaces": workplace.count(),
        "drafts": new.get_model("workplaces", "SetupDraft").objects.count(),
    } == counts
