"""Package changes and deletions of existing workplaces (issue 5), and the quota bars.

The clock is moved with time-machine: every workplace here is activated on DAY_0, Monday
02.03.2026 09:00 in Berlin, so its 30-day minimum term ends on Wednesday 01.04.2026.
"""

from __future__ import annotations

import html
import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from catalog.models import Package
from orders import services as order_services
from orders.models import CartChange, Order, OrderItem
from orders.services import cart_of, processing
from orders.tasks import carry_out_due_deletions
from portal.celery import app as celery_app
from portal.errors import Refusal
from portal.models import AuditEvent
from portal.policy import Actor
from tests.manage_helpers import (
    DAY_0,
    day,
    detail_url,
    messages_of,
    order_new_workplace,
)
from tests.wizard_helpers import login_data, start_draft, step_url
from trunks.models import Number
from workplaces.models import Workplace
from workplaces.services import lifecycle

CART = reverse("orders:cart")
END_OF_TERM = "01.04.2026"
CLIENTS_NOTICE = (
    "Nach einem Paketwechsel müssen die Clients einmal geschlossen (kein Logout) und wieder "
    "geöffnet werden."
)


@pytest.fixture(autouse=True)
def _clock(time_machine, settings):
    """Every test starts on DAY_0; sessions outlive the moves of the clock."""
    settings.SESSION_COOKIE_AGE = 400 * 24 * 3600
    time_machine.move_to(DAY_0, tick=False)


@pytest.fixture
def joerg(alice_client, alice, trunk) -> Workplace:
    """Jörg Müller, Konferenz Plus, 0228 181234-10, activated on DAY_0."""
    return order_new_workplace(
        alice_client, alice, trunk, username="joerg.mueller", number="+4922818123410"
    )


def package_url(workplace: Workplace) -> str:
    return reverse("orders:change_package", args=[workplace.code])


def delete_url(workplace: Workplace) -> str:
    return reverse("orders:delete", args=[workplace.code])


def radio(page: str, value: str) -> str:
    return re.search(rf'<input type="radio" name="package" value="{value}"[^>]*>', page).group(0)


def reason(page: str, value: str) -> str:
    found = re.search(rf'<p class="hint-muted" id="package-{value}-why">(.*?)</p>', page)
    return html.unescape(found.group(1)) if found else ""


def errors(page: str) -> list[str]:
    found = re.search(r'<ul class="errorlist" id="id_package_error">(.*?)</ul>', page, re.S)
    return (
        [html.unescape(e) for e in re.findall(r"<li>(.*?)</li>", found.group(1))] if found else []
    )


def order_cart(client, admin, capture) -> Order:
    """ "Kostenpflichtig bestellen"; the order is processed by its task on commit."""
    with capture(execute=True):
        response = client.post(reverse("orders:place"), {"token": cart_of(admin).token})
    assert response.status_code == 302, messages_of(client.get(CART))
    order = Order.objects.latest("pk")
    assert response["Location"] == reverse("orders:detail", args=[order.code])
    order.refresh_from_db()
    return order


# --- Package change ------------------------------------------------------------------------


def test_before_day_30_only_upgrades_can_be_chosen_and_the_earliest_date_is_shown(
    alice_client, time_machine, joerg
):
    time_machine.move_to(day(29, hour=23), tick=False)  # Tuesday 31.03.2026, 23:00
    page = alice_client.get(package_url(joerg)).content.decode()
    assert "Ein Upgrade ist jederzeit möglich." in page
    assert "disabled" not in radio(page, "konferenz-premium")
    for smaller in ("konferenz-basic", "none"):
        assert "disabled" in radio(page, smaller)
        assert reason(page, smaller) == (
            "Erst nach der Mindestvertragslaufzeit möglich, frühestens am 01.04.2026"
        )
    assert "disabled" in radio(page, "konferenz-plus")
    assert reason(page, "konferenz-plus") == "Aktuell gebucht"
    assert CLIENTS_NOTICE in page
    # The detail page says the same date.
    assert (
        f"kleiner oder kündbar ab {END_OF_TERM}"
        in alice_client.get(detail_url(joerg)).content.decode()
    )


@pytest.mark.parametrize("smaller", ["konferenz-basic", "none"])
def test_a_downgrade_or_cancellation_before_day_30_is_refused_on_post(
    alice_client, alice, time_machine, joerg, smaller
):
    time_machine.move_to(day(29, hour=23), tick=False)
    response = alice_client.post(package_url(joerg), {"package": smaller})
    assert response.status_code == 200
    assert errors(response.content.decode()) == [
        "Erst nach der Mindestvertragslaufzeit möglich, frühestens am 01.04.2026"
    ]
    assert not CartChange.objects.exists()
    # The service refuses it too, for whoever calls it without the form.
    package = Package.objects.filter(code=smaller).first()
    with pytest.raises(Refusal, match=re.escape("frühestens am 01.04.2026")):
        order_services.add_package_change(
            actor=Actor.for_admin(alice), workplace=joerg, package=package
        )
    assert not CartChange.objects.exists()


def test_choosing_the_booked_package_again_or_an_unknown_one_is_refused(alice_client, joerg):
    response = alice_client.post(package_url(joerg), {"package": "konferenz-plus"})
    assert errors(response.content.decode()) == ["Aktuell gebucht"]
    for value in ("gold", ""):
        response = alice_client.post(package_url(joerg), {"package": value})
        assert response.status_code == 200 and errors(response.content.decode())
    assert not CartChange.objects.exists()


def test_an_upgrade_goes_through_the_cart_and_an_order_and_is_booked_from_that_day(
    alice_client, alice, time_machine, joerg, django_capture_on_commit_callbacks
):
    time_machine.move_to(day(10), tick=False)  # Thursday 12.03.2026, inside the term
    alice.email = "alice@example.com"  # to get the Auftragsinformation
    alice.save(update_fields=["email"])
    response = alice_client.post(package_url(joerg), {"package": "konferenz-premium"})
    assert response.status_code == 302 and response["Location"] == CART
    # In the cart, not yet booked.
    joerg.refresh_from_db()
    assert joerg.package.code == "konferenz-plus"
    cart = alice_client.get(CART).content.decode()
    assert "Der Paketwechsel liegt im Warenkorb." in cart
    assert "Paketwechsel" in cart and "Jörg Müller" in cart and "0228 181234-10" in cart
    assert "Konferenz Plus → <strong>Konferenz Premium</strong>" in cart
    # What the change adds: Arbeitsplatz 6,90 € + Plus 9,90 € before, + Premium 14,90 € after.
    assert "bisher 16,80 € → neu 21,80 € (+5,00 €)" in cart
    assert "+5,00 €" in cart and "+5,95 €" in cart  # the sums: net and gross (19 % MwSt.)
    assert "14,90 €" not in cart
    assert CLIENTS_NOTICE in cart
    mail.outbox.clear()

    order = order_cart(alice_client, alice, django_capture_on_commit_callbacks)
    assert order.status == Order.Status.COMPLETED
    [item] = order.items.all()
    assert item.kind == OrderItem.Kind.PACKAGE_CHANGE and item.package.code == "konferenz-premium"
    assert str(order.monthly_net) == "5.00"
    [confirmation] = [m for m in mail.outbox if m.subject.startswith("Auftragsinformation")]
    assert "bisher 16,80 € → neu 21,80 € (+5,00 €)" in confirmation.body
    assert "Summe monatlich netto: +5,00 €" in confirmation.body
    assert "Anmeldedaten" not in confirmation.body, "a change sends no credentials"
    assert CLIENTS_NOTICE in confirmation.body
    orders_page = alice_client.get(reverse("orders:list")).content.decode()
    assert "+5,00 €" in orders_page and "14,90" not in orders_page
    assert not CartChange.objects.exists()
    joerg.refresh_from_db()
    assert joerg.package.code == "konferenz-premium"
    assert str(joerg.package_booked_on) == "2026-03-12"
    # The new booking has its own minimum term.
    assert str(joerg.earliest_downgrade_on()) == "2026-04-11"
    event = AuditEvent.objects.get(action="package_changed")
    assert event.actor == alice and event.object_code == str(joerg.code)
    assert event.text == "Paket von joerg.mueller: Konferenz Plus → Konferenz Premium"
    page = alice_client.get(detail_url(joerg)).content.decode()
    assert "Konferenz Premium" in page and "gebucht am 12.03.2026" in page
    assert "kleiner oder kündbar ab 11.04.2026" in page
    order_page = alice_client.get(reverse("orders:detail", args=[order.code])).content.decode()
    assert CLIENTS_NOTICE in order_page
    assert "bisher 16,80 € → neu 21,80 € (+5,00 €)" in order_page


@pytest.mark.parametrize(
    ("when", "label"),
    [
        (day(30), "01.04.2026 09:00"),
        (day(30, hour=0).replace(minute=30), "00:30 in Berlin, still 31.03. in UTC"),
        (day(45), "16.04.2026"),
    ],
)
def test_from_day_30_a_smaller_package_can_be_ordered(
    alice_client, alice, time_machine, joerg, django_capture_on_commit_callbacks, when, label
):
    time_machine.move_to(when, tick=False)
    page = alice_client.get(package_url(joerg)).content.decode()
    for smaller in ("konferenz-basic", "none"):
        assert "disabled" not in radio(page, smaller), label
    response = alice_client.post(package_url(joerg), {"package": "konferenz-basic"})
    assert response.status_code == 302, label
    order = order_cart(alice_client, alice, django_capture_on_commit_callbacks)
    assert order.status == Order.Status.COMPLETED
    joerg.refresh_from_db()
    assert joerg.package.code == "konferenz-basic"
    assert joerg.package_booked_on == when.date()


def test_from_day_30_the_package_can_be_cancelled(
    alice_client, alice, time_machine, joerg, django_capture_on_commit_callbacks
):
    time_machine.move_to(day(30), tick=False)
    assert alice_client.post(package_url(joerg), {"package": "none"})["Location"] == CART
    cart = alice_client.get(CART).content.decode()
    assert "Konferenz Plus → <strong>Kein Konferenzpaket</strong>" in cart
    assert "bisher 16,80 € → neu 6,90 € (−9,90 €)" in cart
    order = order_cart(alice_client, alice, django_capture_on_commit_callbacks)
    assert str(order.monthly_net) == "-9.90"  # the bill gets smaller
    joerg.refresh_from_db()
    assert joerg.package is None and joerg.package_booked_on is None
    assert joerg.status == Workplace.Status.ACTIVE  # the workplace stays; only the package ends
    page = alice_client.get(detail_url(joerg)).content.decode()
    assert "Kein Konferenzpaket" in page
    # Without a package every package is an upgrade again.
    page = alice_client.get(package_url(joerg)).content.decode()
    for package in ("konferenz-basic", "konferenz-plus", "konferenz-premium"):
        assert "disabled" not in radio(page, package)


def test_a_second_change_of_the_same_workplace_replaces_the_first_in_the_cart(alice_client, joerg):
    alice_client.post(package_url(joerg), {"package": "konferenz-premium"})
    alice_client.post(package_url(joerg), {"package": "konferenz-premium"})
    [change] = CartChange.objects.all()
    assert change.package.code == "konferenz-premium"
    cart = alice_client.get(CART).content.decode()
    assert cart.count("Paketwechsel</") + cart.count("Paketwechsel:") == 1


def test_a_change_can_be_taken_out_of_the_cart(alice_client, joerg):
    alice_client.post(package_url(joerg), {"package": "konferenz-premium"})
    change = CartChange.objects.get()
    response = alice_client.post(reverse("orders:remove_change", args=[change.code]))
    assert response["Location"] == CART
    assert not CartChange.objects.exists()
    page = alice_client.get(CART).content.decode()
    assert "Der Paketwechsel wurde aus dem Warenkorb entfernt." in page
    assert "Ihr Warenkorb ist leer." in page


def test_a_change_and_a_new_workplace_are_ordered_together(
    alice_client, alice, trunk, joerg, django_capture_on_commit_callbacks
):
    from tests.wizard_helpers import complete_draft

    alice_client.post(package_url(joerg), {"package": "konferenz-premium"})
    complete_draft(alice_client, trunk, username="anna.schmidt", package="none")
    order = order_cart(alice_client, alice, django_capture_on_commit_callbacks)
    assert sorted(order.items.values_list("kind", flat=True)) == [
        OrderItem.Kind.NEW_WORKPLACE,
        OrderItem.Kind.PACKAGE_CHANGE,
    ]
    assert str(order.monthly_net) == "11.90"  # Anna 6,90 + Jörg's change Plus -> Premium 5,00
    joerg.refresh_from_db()
    assert joerg.package.code == "konferenz-premium"
    assert Workplace.objects.get(username="anna.schmidt").status == Workplace.Status.ACTIVE


def test_a_deletion_waits_until_the_own_package_change_leaves_the_cart(alice_client, alice, joerg):
    alice_client.post(package_url(joerg), {"package": "konferenz-premium"})
    response = alice_client.post(delete_url(joerg))
    assert response["Location"] == detail_url(joerg)
    assert messages_of(alice_client.get(detail_url(joerg)))[-1] == (
        "Für diesen Arbeitsplatz liegt ein Paketwechsel in Ihrem Warenkorb. Bestellen oder "
        "entfernen Sie ihn zuerst."
    )
    joerg.refresh_from_db()
    assert joerg.status == Workplace.Status.ACTIVE


def test_a_change_of_a_workplace_that_was_cancelled_meanwhile_stops_the_order(
    alice_client, alice, joerg
):
    alice_client.post(package_url(joerg), {"package": "konferenz-premium"})
    lifecycle.schedule_deletion(
        workplace=joerg, actor=Actor.for_admin(alice), on=joerg.earliest_deletion_on()
    )
    response = alice_client.post(reverse("orders:place"), {"token": cart_of(alice).token})
    assert response["Location"] == CART
    page = alice_client.get(CART).content.decode()
    assert "Der Arbeitsplatz joerg.mueller ist nicht mehr aktiv." in page
    assert not Order.objects.filter(items__kind=OrderItem.Kind.PACKAGE_CHANGE).exists()


def test_processing_a_package_change_twice_books_it_once(
    alice_client, alice, joerg, time_machine, django_capture_on_commit_callbacks
):
    alice_client.post(package_url(joerg), {"package": "konferenz-premium"})
    order = order_cart(alice_client, alice, django_capture_on_commit_callbacks)
    time_machine.move_to(day(3), tick=False)
    order_services.process_order(order.pk)
    item = order.items.get()
    processing._carry_out(item.pk, order, day(3).date())  # a redelivered task
    joerg.refresh_from_db()
    assert str(joerg.package_booked_on) == "2026-03-02"
    assert AuditEvent.objects.filter(action="package_changed").count() == 1


# --- Deletion ------------------------------------------------------------------------------


def test_the_confirmation_page_previews_what_deleting_does(alice_client, time_machine, joerg):
    page = alice_client.get(delete_url(joerg)).content.decode()
    assert "Jörg Müller löschen?" in page
    text = html.unescape(page)
    assert (
        "Die Rufnummer 0228 181234-10 geht zurück zu den freien Rufnummern von Zentrale Bonn."
        in text
    )
    assert "Das Konferenzpaket Konferenz Plus endet." in text
    assert (
        "Die Anmeldung joerg.mueller funktioniert nicht mehr, und der Benutzername wird nicht "
        "wieder vergeben." in text
    )
    # Inside the minimum term the page says that the deletion is scheduled, and when.
    assert f"Die Löschung wird zum {END_OF_TERM} vorgemerkt" in text
    assert ">Kündigung vormerken</button>" in page
    time_machine.move_to(day(30), tick=False)
    page = alice_client.get(delete_url(joerg)).content.decode()
    assert "vorgemerkt" not in page and ">Löschen beauftragen</button>" in page
    # Nothing happened by looking.
    joerg.refresh_from_db()
    assert joerg.status == Workplace.Status.ACTIVE and not Order.objects.filter(
        items__kind=OrderItem.Kind.DELETION
    )


def test_inside_the_term_the_deletion_is_scheduled_and_the_periodic_task_carries_it_out(
    alice_client, alice, time_machine, joerg
):
    number = joerg.number
    time_machine.move_to(day(5), tick=False)
    response = alice_client.post(delete_url(joerg))
    assert response.status_code == 302 and response["Location"] == detail_url(joerg)
    page = alice_client.get(detail_url(joerg)).content.decode()
    assert f"Kündigung vorgemerkt zum {END_OF_TERM}." in page
    assert f"◔</span> Kündigung vorgemerkt {END_OF_TERM}" in page
    assert ">Löschen<" not in page  # nothing to delete until then
    joerg.refresh_from_db()
    assert joerg.status == Workplace.Status.CANCEL_SCHEDULED
    assert str(joerg.cancel_on) == "2026-04-01"
    assert not Order.objects.filter(items__kind=OrderItem.Kind.DELETION).exists()
    # Until then everything keeps working.
    assert joerg.number_id == number.pk and joerg.package.code == "konferenz-plus"
    assert joerg.user.is_active
    overview = alice_client.get(reverse("manage:overview")).content.decode()
    assert f"Kündigung vorgemerkt {END_OF_TERM}" in overview

    # The beat runs the task every hour; before the date it finds nothing to do.
    schedule = celery_app.conf.beat_schedule["carry-out-due-deletions"]
    assert schedule["task"] == "orders.tasks.carry_out_due_deletions"
    time_machine.move_to(day(29, hour=23), tick=False)
    carry_out_due_deletions.delay()
    joerg.refresh_from_db()
    assert joerg.status == Workplace.Status.CANCEL_SCHEDULED

    time_machine.move_to(day(30, hour=0).replace(minute=5), tick=False)
    assert carry_out_due_deletions.apply().get() == 1
    joerg.refresh_from_db()
    assert joerg.status == Workplace.Status.DELETED
    assert joerg.number is None and joerg.package is None and joerg.cancel_on is None
    assert Number.objects.free().filter(pk=number.pk).exists()
    user = get_user_model().objects.get(pk=joerg.user_id)
    assert not user.is_active and not user.has_usable_password()
    event = AuditEvent.objects.get(action="workplace_deleted")
    assert event.actor is None  # the task, shown as "System"
    assert event.text == "joerg.mueller gelöscht; Rufnummer 0228 181234-10 ist wieder frei"
    history = alice_client.get(detail_url(joerg)).content.decode()
    assert re.search(r"<td[^>]*>System</td><td[^>]*>Gelöscht</td>", history)
    # Idempotent: the next run finds nothing.
    assert carry_out_due_deletions.apply().get() == 0
    assert AuditEvent.objects.filter(action="workplace_deleted").count() == 1


def test_a_scheduled_deletion_cannot_be_scheduled_or_changed_again(alice_client, joerg):
    alice_client.post(delete_url(joerg))
    response = alice_client.post(delete_url(joerg))
    assert response["Location"] == detail_url(joerg)
    response = alice_client.post(package_url(joerg), {"package": "konferenz-premium"})
    assert response["Location"] == detail_url(joerg)
    assert AuditEvent.objects.filter(action="deletion_scheduled").count() == 1
    assert not CartChange.objects.exists()


def withdraw_url(workplace: Workplace) -> str:
    return reverse("manage:withdraw_cancellation", args=[workplace.code])


def test_a_scheduled_cancellation_keeps_edit_and_reset_and_can_be_withdrawn(
    alice_client, alice, time_machine, joerg
):
    time_machine.move_to(day(5), tick=False)
    alice_client.post(delete_url(joerg))
    page = alice_client.get(detail_url(joerg)).content.decode()
    for action in ("Bearbeiten", "Passwort zurücksetzen", "Kündigung zurücknehmen"):
        assert f">{action}</" in page, action
    assert ">Paket ändern<" not in page and ">Löschen<" not in page
    assert alice_client.get(reverse("manage:edit", args=[joerg.code])).status_code == 200
    reset = reverse("manage:reset_password", args=[joerg.code])
    assert alice_client.get(reset).status_code == 200

    response = alice_client.post(withdraw_url(joerg))
    assert response["Location"] == detail_url(joerg)
    joerg.refresh_from_db()
    assert joerg.status == Workplace.Status.ACTIVE and joerg.cancel_on is None
    assert joerg.package.code == "konferenz-plus" and str(joerg.package_booked_on) == "2026-03-02"
    page = alice_client.get(detail_url(joerg)).content.decode()
    assert "Die Kündigung ist zurückgenommen. Der Arbeitsplatz bleibt bestehen." in page
    assert ">Löschen<" in page and ">Kündigung zurücknehmen<" not in page
    event = AuditEvent.objects.get(action="cancellation_withdrawn")
    assert event.actor == alice
    assert event.text == f"Kündigung von joerg.mueller zum {END_OF_TERM} zurückgenommen"
    # The task finds nothing to delete on the date.
    time_machine.move_to(day(30, hour=0).replace(minute=5), tick=False)
    assert carry_out_due_deletions.apply().get() == 0


def test_a_cancellation_cannot_be_withdrawn_on_its_date_or_once_deleted(
    alice_client, alice, time_machine, joerg
):
    alice_client.post(delete_url(joerg))
    joerg.refresh_from_db()
    on_the_date = joerg.cancel_on
    with pytest.raises(Refusal, match="kann nicht mehr zurückgenommen werden"):
        lifecycle.withdraw_cancellation(
            workplace=joerg, actor=Actor.for_admin(alice), today=on_the_date
        )
    time_machine.move_to(day(30, hour=8), tick=False)
    page = alice_client.get(detail_url(joerg)).content.decode()
    assert ">Kündigung zurücknehmen<" not in page
    response = alice_client.post(withdraw_url(joerg))
    assert response["Location"] == detail_url(joerg)
    page = alice_client.get(detail_url(joerg)).content.decode()
    assert f"Die Kündigung von joerg.mueller zum {END_OF_TERM} kann nicht mehr" in page
    lifecycle.delete_workplace(workplace=joerg, actor=None, today=on_the_date)
    with pytest.raises(Refusal, match="ist bereits gelöscht"):
        lifecycle.withdraw_cancellation(
            workplace=joerg, actor=Actor.for_admin(alice), today=on_the_date
        )
    assert not AuditEvent.objects.filter(action="cancellation_withdrawn").exists()


def test_nothing_to_withdraw_without_a_scheduled_cancellation(alice, joerg):
    with pytest.raises(Refusal, match="keine Kündigung vorgemerkt"):
        lifecycle.withdraw_cancellation(
            workplace=joerg, actor=Actor.for_admin(alice), today=DAY_0.date()
        )


def test_after_the_term_deleting_is_an_order_that_frees_the_number_and_ends_the_login(
    alice_client, alice, trunk, time_machine, joerg, django_capture_on_commit_callbacks
):
    user = joerg.user
    time_machine.move_to(day(30), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(delete_url(joerg))
    order = Order.objects.latest("pk")
    assert response["Location"] == reverse("orders:detail", args=[order.code])
    order.refresh_from_db()
    assert order.status == Order.Status.COMPLETED and order.placed_by == alice
    [item] = order.items.all()
    assert item.kind == OrderItem.Kind.DELETION and item.workplace_id == joerg.pk
    assert str(order.monthly_net) == "-16.80"  # Arbeitsplatz 6,90 + Konferenz Plus 9,90 end
    order_page = alice_client.get(reverse("orders:detail", args=[order.code]))
    assert order_page.status_code == 200 and "Gelöscht" in order_page.content.decode()
    assert "bisher 16,80 € → neu 0,00 € (−16,80 €)" in order_page.content.decode()

    joerg.refresh_from_db()
    assert joerg.status == Workplace.Status.DELETED and joerg.deleted_at is not None
    assert joerg.number is None and joerg.package is None
    assert joerg.username == "joerg.mueller"  # kept, so it is never given out again
    user.refresh_from_db()
    assert not user.is_active and not user.has_usable_password()
    assert AuditEvent.objects.get(action="workplace_deleted").actor == alice

    # The username is not reusable: step 3 of the wizard says it is taken, live and on submit.
    draft = start_draft(alice_client, trunk)
    check = alice_client.get(
        reverse("wizard:check_username", args=[draft.code]),
        {"username": "joerg.mueller"},
        headers={"HX-Request": "true"},
    ).content.decode()
    assert "ist bereits vergeben" in html.unescape(check)
    response = alice_client.post(step_url(draft, "benutzeranmeldung"), login_data("joerg.mueller"))
    assert response.status_code == 200
    assert "Der Benutzername „joerg.mueller“ ist bereits vergeben." in html.unescape(
        response.content.decode()
    )
    # The number is free again: step 4 offers it, and it can be chosen.
    alice_client.post(step_url(draft, "benutzeranmeldung"), login_data("joerg.mueller2"))
    page = alice_client.get(step_url(draft, "rufnummer"), {"q": "0228 181234-10"}).content.decode()
    assert re.search(r'<input type="radio" name="number" value="\+4922818123410"', page), page[
        -3000:
    ]
    response = alice_client.post(step_url(draft, "rufnummer"), {"number": "+4922818123410"})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.number.e164 == "+4922818123410"


def test_the_deleted_login_cannot_log_in_to_myportal(
    alice_client, alice, trunk, time_machine, client, django_capture_on_commit_callbacks
):
    from tests.manage_helpers import sms_password

    joerg = order_new_workplace(
        alice_client,
        alice,
        trunk,
        username="joerg.mueller",
        capture=django_capture_on_commit_callbacks,
    )
    password = sms_password()
    time_machine.move_to(day(30), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(delete_url(joerg))
    user = get_user_model().objects.get(pk=joerg.user_id)
    assert not user.check_password(password)
    response = client.post(
        reverse("myportal:login"), {"username": "joerg.mueller", "password": password}
    )
    assert response.status_code == 200  # the form again, not a redirect into MyPortal
    assert "_auth_user_id" not in client.session


def test_deleting_twice_while_the_order_is_under_way_orders_it_once(
    alice_client, alice, time_machine, joerg
):
    time_machine.move_to(day(30), tick=False)
    alice_client.post(delete_url(joerg))  # the order's task is not run: still "received"
    response = alice_client.post(delete_url(joerg))
    assert response["Location"] == detail_url(joerg)
    order = Order.objects.get(items__kind=OrderItem.Kind.DELETION)
    assert messages_of(alice_client.get(detail_url(joerg))) == [
        f"Für diesen Arbeitsplatz ist bereits ein Auftrag in Bearbeitung ({order.number}). "
        "Bitte warten Sie, bis er abgeschlossen ist."
    ]
    assert OrderItem.objects.filter(kind=OrderItem.Kind.DELETION).count() == 1


def test_a_workplace_without_a_package_is_deleted_after_30_days_from_activation(
    alice_client, alice, trunk, time_machine, django_capture_on_commit_callbacks
):
    anna = order_new_workplace(
        alice_client, alice, trunk, username="anna.schmidt", package="none", mobile=""
    )
    assert str(anna.earliest_deletion_on()) == "2026-04-01"
    time_machine.move_to(day(12), tick=False)
    alice_client.post(delete_url(anna))
    anna.refresh_from_db()
    assert anna.status == Workplace.Status.CANCEL_SCHEDULED


# --- Kontingente & Auftragsstatus ----------------------------------------------------------


def test_the_quota_page_shows_bars_with_words_then_the_orders(
    alice_client, alice, trunk, time_machine, django_capture_on_commit_callbacks
):
    STATUS = reverse("orders:status")
    page = alice_client.get(STATUS).content.decode()
    assert "<h1>Kontingente & Auftragsstatus</h1>" in page
    assert "0 von 25 (0 %)" in page and "0 von 88 (0 %)" in page
    assert "Noch keine Aufträge." in page

    joerg = order_new_workplace(alice_client, alice, trunk, username="joerg.mueller")
    order_new_workplace(alice_client, alice, trunk, username="anna.schmidt", package="none")
    page = alice_client.get(STATUS).content.decode()
    row = re.search(r"<th scope=\"row\">Zentrale Bonn</th>.*?</tr>", page, re.S).group(0)
    # Workplaces of the quota, then numbers of the total: a bar each, readable as text.
    assert re.findall(r'aria-label="([^"]+)"', row) == ["2 von 25 (8 %)", "2 von 88 (2 %)"]
    assert re.findall(r'class="bar-fill"[^>]*width="(\d+)%"', row) == ["8", "2"]
    assert '<span class="bar-text">2 von 25 (8 %)</span>' in row
    assert page.index("Kontingente</h2>") < page.index("Ihre Aufträge")
    orders = re.findall(r'href="/sip-trunk/auftraege/[0-9a-f-]{36}/">([^<]+)</a>', page)
    assert len(orders) == 2

    # A deletion gives back its place of the quota and its number.
    time_machine.move_to(day(30), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(delete_url(joerg))
    page = alice_client.get(STATUS).content.decode()
    assert "1 von 25 (4 %)" in page and "1 von 88 (1 %)" in page


# --- Changes that wait: orders not yet processed and other admins' carts --------------------


def place_without_worker(client, admin, capture) -> Order:
    """ "Kostenpflichtig bestellen" while the worker is stopped: the order stays received."""
    with capture(execute=False):
        response = client.post(reverse("orders:place"), {"token": cart_of(admin).token})
    assert response.status_code == 302
    order = Order.objects.latest("pk")
    assert order.status == Order.Status.RECEIVED
    return order


def test_the_minimum_term_cannot_be_dodged_through_an_order_not_yet_processed(
    alice_client, alice, time_machine, joerg, django_capture_on_commit_callbacks
):
    time_machine.move_to(day(60), tick=False)
    alice_client.post(package_url(joerg), {"package": "konferenz-premium"})
    upgrade = place_without_worker(alice_client, alice, django_capture_on_commit_callbacks)

    response = alice_client.post(package_url(joerg), {"package": "none"})

    assert response.status_code == 200
    assert errors(response.content.decode()) == [
        f"Für diesen Arbeitsplatz ist bereits ein Auftrag in Bearbeitung ({upgrade.number}). "
        "Bitte warten Sie, bis er abgeschlossen ist."
    ]
    assert not CartChange.objects.exists()
    order_services.process_order(upgrade.pk)
    joerg.refresh_from_db()
    assert (joerg.package.code, str(joerg.package_booked_on)) == ("konferenz-premium", "2026-05-01")


def test_a_deletion_waits_for_a_package_change_not_yet_processed_and_vice_versa(
    alice_client, alice, time_machine, joerg, django_capture_on_commit_callbacks
):
    time_machine.move_to(day(60), tick=False)
    alice_client.post(package_url(joerg), {"package": "konferenz-premium"})
    upgrade = place_without_worker(alice_client, alice, django_capture_on_commit_callbacks)
    alice_client.post(delete_url(joerg))
    assert not Order.objects.filter(items__kind=OrderItem.Kind.DELETION).exists()
    joerg.refresh_from_db()
    assert joerg.status == Workplace.Status.ACTIVE

    order_services.process_order(upgrade.pk)
    time_machine.move_to(day(100), tick=False)
    with django_capture_on_commit_callbacks(execute=False):
        alice_client.post(delete_url(joerg))
    response = alice_client.post(package_url(joerg), {"package": "konferenz-basic"})
    assert errors(response.content.decode())[0].startswith(
        "Für diesen Arbeitsplatz ist bereits ein Auftrag in Bearbeitung"
    )


def test_another_admins_cart_line_stops_a_second_change(
    alice_client, bob_client, bob, time_machine, joerg
):
    time_machine.move_to(day(60), tick=False)
    assert bob_client.post(package_url(joerg), {"package": "konferenz-premium"}).status_code == 302

    response = alice_client.post(package_url(joerg), {"package": "none"})

    assert errors(response.content.decode()) == [
        "Für diesen Arbeitsplatz liegt bereits ein Paketwechsel im Warenkorb von Bob."
    ]
    assert list(CartChange.objects.values_list("owner", flat=True)) == [bob.pk]
    assert alice_client.post(delete_url(joerg))["Location"] == detail_url(joerg)
    assert not Order.objects.filter(items__kind=OrderItem.Kind.DELETION).exists()


def test_processing_refuses_an_item_that_no_longer_holds_and_says_why(
    alice_client, alice, time_machine, joerg, django_capture_on_commit_callbacks
):
    time_machine.move_to(day(60), tick=False)
    alice_client.post(package_url(joerg), {"package": "none"})
    downgrade = place_without_worker(alice_client, alice, django_capture_on_commit_callbacks)
    # Meanwhile another write path books Premium today: the downgrade no longer holds.
    premium = Package.objects.get(code="konferenz-premium")
    lifecycle.change_package(
        workplace=joerg, package=premium, actor=Actor.for_admin(alice), today=day(60).date()
    )

    order_services.process_order(downgrade.pk)

    joerg.refresh_from_db()
    assert joerg.package == premium
    item = downgrade.items.get()
    assert item.outcome == OrderItem.Outcome.REFUSED
    reason_text = (
        "Ein kleineres Paket oder die Kündigung ist erst nach der Mindestvertragslaufzeit "
        "möglich, frühestens am 31.05.2026."
    )
    assert item.reason == reason_text
    downgrade.refresh_from_db()
    assert downgrade.status == Order.Status.FAILED
    page = html.unescape(
        alice_client.get(reverse("orders:detail", args=[downgrade.code])).content.decode()
    )
    assert f"Nicht ausgeführt: {reason_text}" in re.sub(r"<[^>]+>", "", page)
    assert AuditEvent.objects.filter(action="package_changed").count() == 1  # the direct one
