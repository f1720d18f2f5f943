"""The development outbox: what the file backends kept under ``var/outbox/``, newest first.

The files know nothing about customers. Each kept message carries the id the portal stored on
its ``Notification`` row as ``provider_id`` (the SMS id of the file backend, the e-mail's
Message-ID), so a customer admin sees a message only when a row of the own customer's orders
or workplaces names it. Staff see everything, also messages no row names.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import email.utils
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from email.parser import HeaderParser
from itertools import batched, islice
from pathlib import Path

from django.conf import settings
from django.db.models import Q

from notifications.models import Notification
from portal.models import Customer

#: Messages shown per channel.
SHOWN = 50
#: Messages read per channel at most, so a page for a customer with few stays quick.
SCANNED = 2000
#: Ids looked up in one query.
CHUNK = 200
#: The file mail backend writes this line after each message.
MAIL_SEPARATOR = "\n" + "-" * 79 + "\n"
_ID_LENGTH = Notification._meta.get_field("provider_id").max_length


@dataclass(frozen=True)
class Kept:
    """One kept message: the id it was sent with and what the page shows."""

    provider_id: str
    raw: dict | str


def _sms_kept() -> Iterator[Kept]:
    path = Path(settings.SMS_OUTBOX_FILE)
    if not path.exists():
        return
    for line in reversed(path.read_text(encoding="utf-8").splitlines()):
        try:
            entry = json.loads(line)
        except ValueError:
            continue  # a line cut short by a crash: skip it, show the rest
        if isinstance(entry, dict):
            yield Kept(provider_id=str(entry.get("sid", "")), raw=entry)


def _mails_kept() -> Iterator[Kept]:
    folder = Path(settings.VAR_DIR, "outbox", "mail")
    files = sorted(folder.glob("*.log"), key=lambda p: p.stat().st_mtime, reverse=True)
    headers = HeaderParser(policy=email.policy.default)
    for path in files:
        # One file per connection; a connection may send several messages, oldest first.
        for raw in reversed(path.read_text(encoding="utf-8").split(MAIL_SEPARATOR)):
            if raw.strip():
                message_id = headers.parsestr(raw, headersonly=True)["Message-ID"] or ""
                yield Kept(provider_id=str(message_id).strip(), raw=raw)


def _visible(kept: Iterable[Kept], channel: str, customer: Customer | None) -> list[Kept]:
    """The newest ``SHOWN`` of ``kept`` that ``customer`` may see (all of them for None)."""
    scanned = islice(kept, SCANNED)
    if customer is None:
        return list(islice(scanned, SHOWN))
    # An invitation concerns no order or workplace yet: its customer is in its data.
    invitation = Q(kind=Notification.Kind.ADMIN_INVITATION, context__customer_id=customer.pk)
    rows = Notification.objects.filter(
        Q(order__customer=customer) | Q(workplace__trunk__customer=customer) | invitation,
        channel=channel,
    )
    visible: list[Kept] = []
    for chunk in batched(scanned, CHUNK):
        ids = {k.provider_id[:_ID_LENGTH] for k in chunk if k.provider_id}
        known = set(rows.filter(provider_id__in=ids).values_list("provider_id", flat=True))
        visible += [k for k in chunk if k.provider_id and k.provider_id[:_ID_LENGTH] in known]
        if len(visible) >= SHOWN:
            break
    return visible[:SHOWN]


def _sent_at(value: str, parse) -> dt.datetime | str:
    """The time a kept message was sent, as an aware datetime (the page shows it in local
    time, the German way); the text as it was when it cannot be read."""
    try:
        moment = parse(value)
    except (TypeError, ValueError):
        return value
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def sms_for(*, customer: Customer | None) -> list[dict]:
    """Kept SMS (``at``, ``to``, ``body``) of ``customer``'s messages; all for None (staff)."""
    return [
        {**k.raw, "at": _sent_at(k.raw.get("at", ""), dt.datetime.fromisoformat)}
        for k in _visible(_sms_kept(), Notification.Channel.SMS, customer)
    ]


def mails_for(*, customer: Customer | None) -> list[dict]:
    """Kept e-mails (``to``, ``subject``, ``date``, ``text``), scoped like :func:`sms_for`."""
    mails = []
    for kept in _visible(_mails_kept(), Notification.Channel.EMAIL, customer):
        message = email.message_from_string(kept.raw, policy=email.policy.default)
        text = message.get_body(preferencelist=("plain",))
        mails.append(
            {
                "to": message["To"],
                "subject": message["Subject"],
                "date": _sent_at(str(message["Date"] or ""), email.utils.parsedate_to_datetime),
                "text": text.get_content() if text else "",
            }
        )
    return mails
