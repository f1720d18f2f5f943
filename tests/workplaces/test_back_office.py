"""The back office (Django admin under /betrieb/) changes workplaces only through the services."""

from __future__ import annotations

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from notifications.models import Notification
from portal.models import AuditEvent, User
from tests.conftest import client_for
from tests.manage_helpers import edit_data, order_new_workplace
from tests.wizard_helpers import complete_draft
from workplaces.models import SetupDraft, Workplace


@pytest.fixture
def operator(db):
    return User.objects.create_superuser(username="operator", password="Secret-Pass-1")


@pytest.fixture
def operator_client(operator):
    return client_for(operator)


@pytest.fixture
def joerg(alice_client, alice, trunk) -> Workplace:
    return order_new_workplace(alice_client, alice, trunk, username="joerg.mueller")


def change_url(workplace: Workplace) -> str:
    return reverse("admin:workplaces_workplace_change", args=[workplace.pk])


def test_fields_with_rules_are_read_only_and_a_forged_post_changes_none(
    operator_client, joerg, packages
):
    page = operator_client.get(change_url(joerg)).content.decode()
    for name in ("status", "number", "package", "username"):
        assert f'name="{name}"' not in page

    forged = edit_data(
        joerg,
        status="deleted",
        username="someone.else",
        package=str(packages["konferenz-premium"].pk),
        number="",
    )
    response = operator_client.post(change_url(joerg), forged)

    assert response.status_code == 302
    saved = Workplace.objects.get(pk=joerg.pk)
    assert (saved.status, saved.username, saved.package, saved.number) == (
        Workplace.Status.ACTIVE,
        "joerg.mueller",
        joerg.package,
        joerg.number,
    )


def test_the_persons_data_follows_the_setup_rules_and_is_audited(operator_client, operator, joerg):
    response = operator_client.post(change_url(joerg), edit_data(joerg, postcode="5311"))
    assert response.status_code == 200
    assert "deutsche Postleitzahl mit fünf Ziffern" in response.content.decode()
    assert Workplace.objects.get(pk=joerg.pk).postcode == joerg.postcode

    response = operator_client.post(change_url(joerg), edit_data(joerg, street="Am Hof"))

    assert response.status_code == 302
    assert Workplace.objects.get(pk=joerg.pk).street == "Am Hof"
    event = AuditEvent.objects.get(action="workplace_edited")
    assert event.actor == operator
    assert event.customer_id == joerg.trunk.customer_id


def test_workplaces_cannot_be_added_or_deleted_in_the_back_office(operator_client, joerg):
    assert operator_client.get(reverse("admin:workplaces_workplace_add")).status_code == 403
    url = reverse("admin:workplaces_workplace_delete", args=[joerg.pk])
    assert operator_client.post(url, {"post": "yes"}).status_code == 403
    assert Workplace.objects.filter(pk=joerg.pk).exists()


def test_sending_a_new_password_goes_through_the_reset_service(operator_client, operator, joerg):
    response = operator_client.post(
        reverse("admin:workplaces_workplace_changelist"),
        {"action": "send_new_password", ACTION_CHECKBOX_NAME: [joerg.pk]},
    )

    assert response.status_code == 302
    reset = Notification.objects.get(kind=Notification.Kind.PASSWORD_RESET_SMS)
    assert reset.workplace_id == joerg.pk
    event = AuditEvent.objects.get(action="password_reset")
    assert event.actor == operator
    assert event.remote_addr == "127.0.0.1"


def test_releasing_a_draft_frees_its_username_and_number(operator_client, alice_client, trunk):
    draft = complete_draft(alice_client, trunk, username="anna.schmidt")
    page = operator_client.get(reverse("admin:workplaces_setupdraft_change", args=[draft.pk]))
    assert 'name="username"' not in page.content.decode()

    operator_client.post(
        reverse("admin:workplaces_setupdraft_changelist"),
        {"action": "release", ACTION_CHECKBOX_NAME: [draft.pk]},
    )

    draft.refresh_from_db()
    assert (draft.status, draft.username, draft.number) == (
        SetupDraft.Status.DISCARDED,
        None,
        None,
    )


def test_a_workplace_logins_password_is_not_set_in_the_user_admin(operator_client, joerg):
    url = reverse("admin:auth_user_password_change", args=[joerg.user_id])
    before = Workplace.objects.get(pk=joerg.pk).user.password

    response = operator_client.post(
        url, {"password1": "Neu-Pass-2026!", "password2": "Neu-Pass-2026!"}
    )

    assert response.status_code == 302
    assert Workplace.objects.get(pk=joerg.pk).user.password == before


def test_a_new_password_goes_only_where_the_reset_service_allows_it(
    operator_client, alice_client, alice, trunk, joerg
):
    gone = order_new_workplace(alice_client, alice, trunk, username="anna.schmidt")
    Workplace.objects.filter(pk=gone.pk).update(status=Workplace.Status.DELETED)
    no_login = order_new_workplace(alice_client, alice, trunk, username="bernd.bauer")
    Workplace.objects.filter(pk=no_login.pk).update(user=None)

    response = operator_client.post(
        reverse("admin:workplaces_workplace_changelist"),
        {"action": "send_new_password", ACTION_CHECKBOX_NAME: [joerg.pk, gone.pk, no_login.pk]},
        follow=True,
    )

    assert "Ein neues temporäres Passwort ist an 1 Benutzer unterwegs." in response.content.decode()
    resets = Notification.objects.filter(kind=Notification.Kind.PASSWORD_RESET_SMS)
    assert list(resets.values_list("workplace_id", flat=True)) == [joerg.pk]


def test_the_back_office_edits_a_workplace_while_it_is_in_service(operator_client, joerg):
    Workplace.objects.filter(pk=joerg.pk).update(status=Workplace.Status.CANCEL_SCHEDULED)
    assert 'name="street"' in operator_client.get(change_url(joerg)).content.decode()
    Workplace.objects.filter(pk=joerg.pk).update(status=Workplace.Status.DELETED)
    assert 'name="street"' not in operator_client.get(change_url(joerg)).content.decode()
