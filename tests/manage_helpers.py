"""Active workplaces for the management tests: the wizard over HTTP, then an order processed.

Used by tests/workplaces/test_manage.py, tests/orders/test_changes.py and
tests/portal/test_protokoll.py.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from django.core import mail
from django.test import Client
from django.urls import reverse

from notifications.sms import LocmemSmsBackend
from orders.models import Order
from orders.services import cart_of, place_order, process_order
from portal.policy import Actor
from tests.wizard_helpers import USER_DATA, login_data, start_draft, step_url
from trunks.models import SipTrunk
from workplaces.models import Workplace

BERLIN = ZoneInfo("Europe/Berlin")
#: The day the workplaces of these tests are activated (a Monday, far from DST changes).
DAY_0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=BERLIN)
DETAIL_LINK = re.compile(r'href="/sip-trunk/arbeitsplaetze/([0-9a-f-]{36})/"')


def day(n: int, hour: int = 9) -> dt.datetime:
    """``n`` days after DAY_0, at ``hour`` o'clock in Berlin."""
    return (DAY_0 + dt.timedelta(days=n)).replace(hour=hour)


def german(date: dt.date | dt.datetime) -> str:
    return date.strftime("%d.%m.%Y")


def order_new_workplace(
    client: Client,
    admin,
    trunk: SipTrunk,
    *,
    username: str,
    first_name: str = "Jörg",
    last_name: str = "Müller",
    number: str | None = None,
    package: str = "konferenz-plus",
    mobile: str = "0170 1234567",
    capture=None,
) -> Workplace:
    """Run the wizard for one person, order and process the order: an active workplace.

    With ``capture`` (pytest-django's ``django_capture_on_commit_callbacks``) the order is
    processed by its task and the outbox delivers the welcome e-mail and the password;
    without it the order is processed directly and no message leaves the outbox.
    """
    draft = start_draft(
        client, trunk, {**USER_DATA, "first_name": first_name, "last_name": last_name}
    )
    response = client.post(
        step_url(draft, "benutzeranmeldung"), login_data(username, mobile=mobile)
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    if number is None:
        number = trunk.numbers.free().order_by("e164").first().e164
    response = client.post(step_url(draft, "rufnummer"), {"number": number})
    assert response.status_code == 302, response.content.decode()[:3000]
    assert client.post(step_url(draft, "konferenzpaket"), {"package": package}).status_code == 302
    assert client.post(step_url(draft, "warenkorb")).status_code == 302
    if capture is not None:
        with capture(execute=True):
            order = place_order(actor=Actor.for_admin(admin), token=cart_of(admin).token)
    else:
        order = place_order(actor=Actor.for_admin(admin), token=cart_of(admin).token)
        process_order(order.pk)
    order.refresh_from_db()
    assert order.status == Order.Status.COMPLETED
    workplace = Workplace.objects.select_related("user", "number", "package", "trunk").get(
        username=username
    )
    assert workplace.status == Workplace.Status.ACTIVE
    return workplace


def sms_password() -> str:
    """The temporary password of the latest SMS in the test outbox."""
    return re.search(r"lautet (\S+) ", LocmemSmsBackend.outbox[-1]["body"]).group(1)


def mail_password() -> str:
    """The temporary password of the latest e-mail (alone on an indented line)."""
    return re.search(r"^\s+(\S+)$", mail.outbox[-1].body, re.MULTILINE).group(1)


def detail_url(workplace: Workplace) -> str:
    return reverse("manage:detail", args=[workplace.code])


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def edit_data(workplace: Workplace, **changes) -> dict:
    """The edit form's fields filled as the workplace has them, with ``changes`` (None drops)."""
    data = {
        "first_name": workplace.first_name,
        "last_name": workplace.last_name,
        "street": workplace.street,
        "house_number": workplace.house_number,
        "postcode": workplace.postcode,
        "city": workplace.city,
        "email": workplace.email,
        "auth_email": workplace.auth_email,
        "auth_email_repeat": workplace.auth_email,
        "mobile": workplace.mobile,
    }
    if not workplace.mobile:
        data["without_mobile"] = "on"
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}
