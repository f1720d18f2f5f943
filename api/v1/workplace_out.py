"""What the API answers about a workplace: the data of its page, with the registrar's state and
its messages, for a whole page of workplaces in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
import enum
from collections import defaultdict
from typing import Literal

from ninja import Schema
from pydantic import Field

from notifications.models import Notification
from provisioning import services as provisioning
from trunks.numbers import format_national
from workplaces.models import Workplace
from workplaces.services import lifecycle


def _enum(name: str, choices: type[enum.Enum]) -> type[enum.StrEnum]:
    """A model's choices under a name of their own in the description (the models' classes
    are all called ``Status``)."""
    return enum.StrEnum(name, {member.name: member.value for member in choices})


WorkplaceStatus = _enum("WorkplaceStatus", Workplace.Status)
MessageKind = _enum("MessageKind", Notification.Kind)
MessageChannel = _enum("MessageChannel", Notification.Channel)
MessageStatus = _enum("MessageStatus", Notification.Status)

#: The person's text fields, answered as stored.
PERSON_TEXT = ("first_name", "last_name", "street", "house_number", "postcode", "city")


class PhoneOut(Schema):
    e164: str = Field(description="E.164, z. B. `+4922818123410`")
    national: str = Field(description="National geschrieben, z. B. `0228 181234-10`")


class AssignedNumberOut(PhoneOut):
    extension: str = Field(description="Die Durchwahl (leer bei einer Einzelrufnummer)")


class TrunkRef(Schema):
    code: str = Field(description="Der UUID-Code des SIP-Trunks")
    name: str


class BookedPackageOut(Schema):
    code: str
    name: str
    booked_on: dt.date | None = Field(description="Gebucht am")
    earliest_downgrade_on: dt.date | None = Field(
        description="Ab diesem Tag darf das Paket kleiner werden oder entfallen"
    )


class RegistrarOut(Schema):
    state: Literal["pending", "retrying", "done"] = Field(
        description="Wird übertragen, wartet auf einen neuen Versuch, oder eingetragen"
    )
    kind: Literal["ensure", "remove"] = Field(description="Eintragen oder entfernen")
    label: str = Field(description="Der Zustand, wie die Seiten ihn zeigen")
    reason: str | None = Field(description="Warum ein neuer Versuch nötig ist")
    next_attempt_at: dt.datetime | None


class MessageOut(Schema):
    code: str = Field(description="Der UUID-Code der Nachricht")
    kind: MessageKind
    channel: MessageChannel
    recipient: str = Field(description="Der Empfänger, teilweise verdeckt")
    status: MessageStatus = Field(description="Der Zustand der Zustellung")
    attempts: int
    last_error: str | None
    created_at: dt.datetime
    sent_at: dt.datetime | None


class WorkplaceOut(Schema):
    code: str = Field(description="Der UUID-Code, wie in den Adressen der Seiten")
    trunk: TrunkRef
    username: str
    status: WorkplaceStatus
    status_label: str = Field(description="Der Status, wie die Seiten ihn zeigen")
    first_name: str
    last_name: str
    street: str
    house_number: str
    postcode: str
    city: str
    email: str | None = Field(description="E-Mail-Adresse der Person (freiwillig)")
    auth_email: str = Field(description="E-Mail-Adresse zur Authentifizierung")
    mobile: PhoneOut | None = Field(
        description="Mobilfunknummer für Passwörter per SMS; null: Passwörter per E-Mail"
    )
    number: AssignedNumberOut | None
    package: BookedPackageOut | None = Field(description="Das Konferenzpaket; null: keines")
    created_at: dt.datetime
    activated_at: dt.datetime | None
    cancel_on: dt.date | None = Field(description="Kündigung vorgemerkt zum")
    deleted_at: dt.datetime | None
    registrar: RegistrarOut | None = Field(
        description="Wie weit der SIP-Registrar ist; null, wenn keiner angeschlossen ist oder "
        "noch nichts zu übertragen war"
    )
    messages: list[MessageOut] = Field(description="Die Nachrichten an die Person, älteste zuerst")


def rows(workplaces: list[Workplace]) -> list[dict]:
    """The answers for ``workplaces`` (loaded with trunk, number and package): two queries
    for all of them, the registrar's state and the messages."""
    states = provisioning.job_state(lifecycle.registrar_ref(w) for w in workplaces)
    messages = defaultdict(list)
    for message in Notification.objects.filter(workplace__in=[w.pk for w in workplaces]):
        messages[message.workplace_id].append(message)
    return [_row(w, states.get(lifecycle.registrar_ref(w)), messages[w.pk]) for w in workplaces]


def _row(workplace: Workplace, state, messages: list[Notification]) -> dict:
    number, package = workplace.number, workplace.package
    return {
        "code": str(workplace.code),
        "trunk": {"code": str(workplace.trunk.code), "name": workplace.trunk.name},
        "username": workplace.username,
        "status": workplace.status,
        "status_label": workplace.get_status_display(),
        **{name: getattr(workplace, name) for name in PERSON_TEXT},
        "email": workplace.email or None,
        "auth_email": workplace.auth_email,
        "mobile": (
            {"e164": workplace.mobile, "national": workplace.mobile_national}
            if workplace.mobile
            else None
        ),
        "number": number
        and {
            "e164": number.e164,
            "national": format_national(number.e164, number.extension),
            "extension": number.extension,
        },
        "package": package
        and {
            "code": package.code,
            "name": package.name,
            "booked_on": workplace.package_booked_on,
            "earliest_downgrade_on": workplace.earliest_downgrade_on(),
        },
        "created_at": workplace.created_at,
        "activated_at": workplace.activated_at,
        "cancel_on": workplace.cancel_on,
        "deleted_at": workplace.deleted_at,
        "registrar": state
        and {
            "state": state.state,
            "kind": state.kind,
            "label": state.label,
            "reason": state.reason or None,
            "next_attempt_at": state.next_attempt_at,
        },
        "messages": [
            {
                "code": str(m.code),
                "kind": m.kind,
                "channel": m.channel,
                "recipient": m.masked_recipient,
                "status": m.status,
                "attempts": m.attempts,
                "last_error": m.last_error or None,
                "created_at": m.created_at,
                "sent_at": m.sent_at,
            }
            for m in messages
        ],
    }
