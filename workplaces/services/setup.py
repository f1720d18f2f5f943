"""The setup service: the one set of rules behind every way of setting up a workplace.

The wizard's steps, the list import's rows and (later) the API call these functions; none of
them holds a rule of its own. ``check_*`` functions look at input and return a :class:`Checked`
(domain values, German messages keyed by field) without changing anything; the others change a
draft, own their transaction and raise :class:`~portal.errors.Refusal` when a rule stops them.

A draft reserves what it holds: its username and its number are unique columns, and putting it
into the cart takes a place of the trunk's quota.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import Package
from portal import policy, ratelimit
from portal.errors import GENERAL, Refusal
from portal.models import User, UsernameClaim
from portal.policy import Actor
from trunks.models import Number, SipTrunk
from trunks.parsing import TrunkNumbers, parse_rufnummer
from workplaces import validators
from workplaces.models import PERSON_FIELDS, SetupDraft, Workplace, field_limit
from workplaces.services import Checked, quota

#: Benutzerdaten (step 2): field -> (required, extra rule); the lengths are the model's.
USER_DATA_RULES = {
    "first_name": (True, validators.validate_name),
    "last_name": (True, validators.validate_name),
    "street": (True, validators.validate_street),
    "house_number": (True, validators.validate_house_number),
    "postcode": (True, validators.validate_postcode),
    "city": (True, validators.validate_name),
    "email": (False, None),
}
USER_DATA_FIELDS = tuple(USER_DATA_RULES)


def _required_message() -> str:
    return _("Bitte füllen Sie dieses Feld aus.")


def check_user_data(*, data: Mapping[str, object]) -> Checked:
    """Benutzerdaten: names, address and the optional e-mail address, cleaned."""
    checked = Checked()
    for name, (required, rule) in USER_DATA_RULES.items():
        raw = data.get(name)
        try:
            value = validators.clean_text(str(raw or ""), max_length=field_limit(name))
            if not value:
                if required:
                    checked.add(name, _required_message(), code="required")
                checked.values[name] = ""
                continue
            if name == "email":
                value = validators.normalize_email(value)
            elif rule is not None:
                rule(value)
        except ValidationError as error:
            checked.add_error(name, error)
            continue
        checked.values[name] = value
    return checked


def check_contacts(
    *,
    auth_email: object,
    mobile: object,
    without_mobile: bool | None,
    auth_email_repeat: object = None,
) -> Checked:
    """How the credentials travel: the e-mail address, and a mobile number or none.

    ``auth_email_repeat`` is compared when it was asked for (the wizard asks twice);
    ``without_mobile`` None means "by e-mail when no mobile number is given" (the import).
    """
    checked = Checked()
    email = ""
    try:
        email = validators.clean_text(str(auth_email or ""), max_length=field_limit("auth_email"))
        if email:
            email = validators.normalize_email(email)
        else:
            checked.add(
                "auth_email",
                _("Bitte geben Sie die E-Mail-Adresse zur Authentifizierung ein."),
                code="required",
            )
    except ValidationError as error:
        email = ""
        checked.add_error("auth_email", error)
    if auth_email_repeat is not None and "auth_email" not in checked.errors:
        repeat = str(auth_email_repeat).strip()
        try:
            repeat = validators.normalize_email(repeat) if repeat else ""
        except ValidationError as error:
            checked.add_error("auth_email_repeat", error)
        else:
            if email.lower() != repeat.lower():
                checked.add(
                    "auth_email_repeat",
                    _("Die beiden E-Mail-Adressen stimmen nicht überein."),
                    code="email_mismatch",
                )
    number = ""
    raw_mobile = str(mobile or "").strip()
    if raw_mobile:
        try:
            number = validators.normalize_mobile(raw_mobile)
        except ValidationError as error:
            checked.add_error("mobile", error)
    if without_mobile is None:
        without_mobile = not raw_mobile
    if "mobile" not in checked.errors:
        if without_mobile and raw_mobile:
            checked.add(
                "mobile",
                _(
                    "Sie haben „Authentifizierung ohne Mobilfunknummer“ gewählt. Lassen Sie dieses "
                    "Feld leer oder entfernen Sie das Häkchen."
                ),
                code="mobile_not_wanted",
            )
        elif not without_mobile and not raw_mobile:
            checked.add(
                "mobile",
                _(
                    "Bitte geben Sie eine Mobilfunknummer ein, oder wählen Sie „Authentifizierung "
                    "ohne Mobilfunknummer“."
                ),
                code="mobile_required",
            )
    checked.values.update(
        auth_email=email, mobile="" if without_mobile else number, without_mobile=without_mobile
    )
    return checked


def username_taken(username: str, *, draft: SetupDraft | None = None) -> bool:
    """Usernames are one global namespace: admins, staff, workplaces (even deleted ones, with
    their logins) and drafts each claim theirs (:class:`UsernameClaim`); a draft's own name is
    not taken for it."""
    claims = UsernameClaim.objects.named(username)
    if draft is not None and draft.pk:
        claims = claims.exclude(draft_id=draft.pk)
    return claims.exists()


#: Names asked for at once by :func:`taken_usernames` (keeps each query's parameters few).
BATCH_SIZE = 500


def taken_usernames(names: Iterable[str]) -> set[str]:
    """Which of ``names`` are taken, as :func:`username_taken` decides it, lowercased.

    One query per :data:`BATCH_SIZE` names, however many there are.
    """
    keys = sorted({str(name).lower() for name in names})
    taken: set[str] = set()
    for start in range(0, len(keys), BATCH_SIZE):
        found = UsernameClaim.objects.named_any(keys[start : start + BATCH_SIZE])
        taken.update(name.lower() for name in found.values_list("name", flat=True))
    return taken


class UsernameLookup:
    """Whether usernames are taken, asked for a whole batch at once (the list import's rows).

    A name the batch was asked for is answered from memory; any other name goes to the
    database. Either way the answer is :func:`username_taken`'s, at the time of asking.
    """

    def __init__(self, names: Iterable[str]) -> None:
        self._asked = {str(name).lower() for name in names}
        self._taken = taken_usernames(self._asked)

    def __contains__(self, name: object) -> bool:
        key = str(name).lower()
        if key in self._asked:
            return key in self._taken
        return username_taken(str(name))


def _username_is_taken(name: str, draft: SetupDraft | None, taken: UsernameLookup | None) -> bool:
    return name in taken if taken is not None else username_taken(name, draft=draft)


def _taken_message(username: str) -> str:
    return _(
        "Der Benutzername „%(name)s“ ist bereits vergeben. Bitte wählen Sie einen anderen."
    ) % {"name": username}


def check_username(
    *,
    username: object,
    draft: SetupDraft | None = None,
    also_taken: Collection[str] = (),
    taken: UsernameLookup | None = None,
) -> Checked:
    """The seed's username rules, then whether it is free.

    ``also_taken``: names a batch already uses; ``taken``: the batch's lookup of the names
    taken in the system (None asks the database for this one name).
    """
    checked = Checked()
    name = str(username or "").strip()
    if not name:
        checked.add("username", _required_message(), code="required")
        return checked
    try:
        validators.validate_username(name)
    except ValidationError as error:
        checked.add_error("username", error)
        return checked
    if name in also_taken or _username_is_taken(name, draft, taken):
        checked.add("username", _taken_message(name), code="username_taken", params={"name": name})
        return checked
    checked.values["username"] = name
    return checked


def check_username_while_typing(*, actor: Actor, username: object, draft: SetupDraft) -> Checked:
    """The wizard's live check of a username, at most ``WIZARD_USERNAME_CHECKS_PER_HOUR``
    times per admin: whether a name is taken answers for every customer's users, so one
    admin must not ask it for thousands of guessed names. Only for the actor's own draft."""
    policy.check_change(actor, draft)
    try:
        ratelimit.hit(
            "wizard-username",
            actor.user.pk,
            limit=settings.WIZARD_USERNAME_CHECKS_PER_HOUR,
            window_seconds=3600,
        )
    except ratelimit.RateLimited as limited:
        checked = Checked()
        checked.add(
            "username",
            _(
                "Sie haben in kurzer Zeit zu viele Benutzernamen prüfen lassen. Die Prüfung "
                "während der Eingabe ist ab %(time)s Uhr wieder möglich; beim Speichern wird "
                "der Benutzername weiterhin geprüft."
            )
            % {"time": limited.local_time},
            code="username_checks_exhausted",
            params={"retry_at": limited.retry_at},
        )
        return checked
    return check_username(username=username, draft=draft)


def person_key(first_name: str, last_name: str, auth_email: str) -> tuple[str, str, str]:
    """Who a person is when no username says it: the name and the address the credentials go
    to, whatever their case."""
    return (first_name.casefold(), last_name.casefold(), auth_email.casefold())


def check_same_person(
    *, first_name: str, last_name: str, auth_email: str, seen: Mapping[tuple, int]
) -> Checked:
    """The "same person" rule of a batch: a person already in ``seen`` (person key -> line)
    gets a second workplace only with a username given for it."""
    checked = Checked()
    line = seen.get(person_key(first_name, last_name, auth_email))
    if line is not None:
        checked.add(
            "username",
            _(
                "Diese Person steht schon in Zeile %(line)d der Datei (gleicher Name und "
                "gleiche E-Mail-Adresse zur Authentifizierung). Soll sie einen zweiten "
                "Arbeitsplatz bekommen, tragen Sie einen Benutzernamen ein."
            )
            % {"line": line},
            code="same_person",
            params={"line": line},
        )
    return checked


def _candidates(base: str) -> Iterator[str]:
    """``base``, then ``base2``, ``base3`` ... (cut so that each stays within the length)."""
    yield base
    counter = 2
    while True:
        suffix = str(counter)
        yield base[: validators.MAX_USERNAME_LENGTH - len(suffix)] + suffix
        counter += 1


def username_candidates(*, first_name: str, last_name: str, count: int) -> list[str]:
    """The first ``count`` names :func:`suggest_username` tries, in order (for a batch lookup)."""
    base = validators.username_suggestion(first_name, last_name)
    return list(itertools.islice(_candidates(base), count)) if base else []


def suggest_username(
    *,
    first_name: str,
    last_name: str,
    also_taken: Collection[str] = (),
    taken: UsernameLookup | None = None,
) -> str:
    """The wizard's suggestion from the name (ä→ae ...), with a number added until it is free.

    ``also_taken`` and ``taken`` as for :func:`check_username`.
    """
    base = validators.username_suggestion(first_name, last_name)
    if not base:
        return ""
    return next(
        candidate
        for candidate in _candidates(base)
        if candidate not in also_taken and not _username_is_taken(candidate, None, taken)
    )


def _number_taken_message(number: Number) -> str:
    return _("Die Rufnummer %(number)s ist bereits vergeben. Bitte wählen Sie eine andere.") % {
        "number": number.national
    }


def number_is_held(number: Number, *, draft: SetupDraft | None = None) -> bool:
    """Whether a workplace or a draft (other than ``draft``) holds ``number`` (one query)."""
    own = draft.pk if draft is not None and draft.pk else None
    return Number.objects.filter(pk=number.pk).held(except_draft_id=own).exists()


@dataclass(frozen=True)
class NumberBook:
    """A trunk's numbers and which of them are held, read once for checking a batch.

    It answers as :func:`number_is_held` and the trunk's number rows did when it was read
    (two queries); reserving re-checks under lock, so a number taken since then is refused.
    """

    trunk: SipTrunk
    #: e164 -> (pk, extension)
    numbers: dict[str, tuple[int, str]]
    held: frozenset[str]

    @classmethod
    def of(cls, trunk: SipTrunk) -> NumberBook:
        rows = Number.objects.filter(trunk=trunk).values_list("pk", "e164", "extension")
        numbers = {e164: (pk, extension) for pk, e164, extension in rows}
        held = Number.objects.filter(trunk=trunk).held()
        return cls(trunk, numbers, frozenset(held.values_list("e164", flat=True)))

    @cached_property
    def trunk_numbers(self) -> TrunkNumbers:
        """The same numbers for the flexible parser (:func:`trunks.parsing.parse_rufnummer`)."""
        return TrunkNumbers.from_rows((e164, ext) for e164, (_pk, ext) in self.numbers.items())

    def number(self, e164: str) -> Number | None:
        """The trunk's number row (without a query), or None when the trunk has no such number."""
        found = self.numbers.get(e164)
        if found is None:
            return None
        return Number(pk=found[0], trunk=self.trunk, e164=e164, extension=found[1])


def check_number(
    *,
    trunk: SipTrunk,
    e164: object,
    draft: SetupDraft | None = None,
    also_taken: Collection[str] = (),
    book: NumberBook | None = None,
) -> Checked:
    """A number of the trunk (the seed's number rules made its rows) that nobody holds.

    ``also_taken``: numbers a batch already uses; ``book``: the batch's :class:`NumberBook`
    of the trunk (None asks the database).
    """
    checked = Checked()
    value = str(e164 or "").strip()
    if not value:
        checked.add("number", _("Bitte wählen Sie eine Rufnummer aus."), code="required")
        return checked
    # Only an E.164 string can name a number row (and only such text may reach the query).
    well_formed = value.startswith("+") and value[1:].isascii() and value[1:].isdigit()
    if not well_formed:
        number, held = None, False
    elif book is not None and book.trunk.pk == trunk.pk:
        number = book.number(value)
        held = value in book.held
    else:
        number = Number.objects.filter(trunk=trunk, e164=value).first()
        held = number is not None and number_is_held(number, draft=draft)
    if number is None:
        checked.add(
            "number",
            _("Diese Rufnummer gehört nicht zu diesem SIP-Trunk."),
            code="number_not_on_trunk",
            params={"number": value},
        )
    elif value in also_taken or held:
        checked.add(
            "number",
            _number_taken_message(number),
            code="number_held",
            params={"number": number.e164},
        )
    else:
        checked.values["number"] = number
    return checked


def next_free_numbers(
    *,
    trunk: SipTrunk,
    count: int,
    also_taken: Collection[str] = (),
    book: NumberBook | None = None,
) -> list[Number]:
    """The trunk's ``count`` lowest numbers that no workplace, draft or ``also_taken`` holds.

    With a :class:`NumberBook` of the trunk no query is made.
    """
    if count < 1:
        return []
    if book is not None and book.trunk.pk == trunk.pk:
        found = []
        for e164 in sorted(book.numbers):
            if e164 not in book.held and e164 not in also_taken:
                found.append(book.number(e164))
                if len(found) == count:
                    break
        return found
    free = trunk.numbers.free().order_by("e164")
    if also_taken:
        free = free.exclude(e164__in=list(also_taken))
    return list(free[:count])


def next_free_number(*, trunk: SipTrunk, also_taken: Collection[str] = ()) -> Number | None:
    """The trunk's lowest number that no workplace, draft or ``also_taken`` holds."""
    found = next_free_numbers(trunk=trunk, count=1, also_taken=also_taken)
    return found[0] if found else None


def conference_packages() -> list[Package]:
    return list(Package.objects.conference())


def check_trunk(*, trunk: SipTrunk, actor: Actor, draft: SetupDraft | None = None) -> Checked:
    """A trunk the actor may change with a place left (a draft keeps its own trunk).

    A trunk from :func:`quota.with_places` is not counted again."""
    checked = Checked()
    if not policy.may_change(actor, trunk):
        checked.add(
            "trunk", _("Bitte wählen Sie einen SIP-Trunk aus der Liste."), code="trunk_not_listed"
        )
        return checked
    if hasattr(trunk, "workplaces_used"):  # counted by the caller (``quota.with_places``)
        counted = trunk
    else:
        [counted] = quota.with_places(SipTrunk.objects.filter(pk=trunk.pk))
    own = draft is not None and draft.trunk_id == trunk.pk
    if not own and quota.places_left(counted) < 1:
        checked.add(
            "trunk",
            _(
                "Das Kontingent dieses SIP-Trunks ist ausgeschöpft. Wenden Sie sich an den "
                "Kundenservice, um es zu erweitern."
            ),
            code="quota_exhausted",
            params={"trunk": trunk.name},
        )
        return checked
    checked.values["trunk"] = trunk
    return checked


def _touch(draft: SetupDraft) -> None:
    draft.updated_at = timezone.now()


@transaction.atomic
def start_draft(*, actor: Actor, trunk: SipTrunk, user_data: Mapping[str, object]) -> SetupDraft:
    """A new draft on ``trunk`` with its Benutzerdaten (step 2 of the wizard).

    Refused with every problem of the Benutzerdaten, or on the field ``trunk`` when the trunk
    has no place left (``quota_exhausted``); a trunk the actor may not change is ``not_found``.
    """
    policy.check_change(actor, trunk)
    check_trunk(trunk=trunk, actor=actor).raise_if_errors()
    values = check_user_data(data=user_data).raise_if_errors()
    draft = SetupDraft(customer_id=trunk.customer_id, created_by=actor.user, trunk=trunk, **values)
    draft.save()
    return draft


def save_user_data(*, actor: Actor, draft: SetupDraft, user_data: Mapping[str, object]) -> None:
    policy.check_change(actor, draft)
    values = check_user_data(data=user_data).raise_if_errors()
    for name, value in values.items():
        setattr(draft, name, value)
    _touch(draft)
    draft.save(update_fields=[*values, "updated_at"])


def change_trunk(*, actor: Actor, draft: SetupDraft, trunk: SipTrunk) -> None:
    """A number belongs to one trunk: choosing another trunk gives the number back."""
    policy.check_change(actor, draft)
    if draft.trunk_id == trunk.pk:
        return
    check_trunk(trunk=trunk, actor=actor, draft=draft).raise_if_errors()
    draft.trunk = trunk
    draft.number = None
    _touch(draft)
    draft.save(update_fields=["trunk", "number", "updated_at"])


def reserve_username(
    *, actor: Actor, draft: SetupDraft, username: object, contacts: Mapping[str, object]
) -> None:
    """Benutzeranmeldung: reserve the username for the draft and keep how the credentials travel.

    ``contacts``: the arguments of :func:`check_contacts` (``auth_email_repeat`` is compared
    when given). Refused with every problem of the username and the contacts at once. The
    claim on the name decides between two drafts reaching for one name at the same time.
    """
    policy.check_change(actor, draft)
    checked = check_username(username=username, draft=draft).merge(
        check_contacts(
            auth_email=contacts.get("auth_email"),
            mobile=contacts.get("mobile"),
            without_mobile=contacts.get("without_mobile"),
            auth_email_repeat=contacts.get("auth_email_repeat"),
        )
    )
    values = checked.raise_if_errors()
    draft.username = values["username"]
    draft.auth_email = values["auth_email"]
    draft.without_mobile = values["without_mobile"]
    draft.mobile = values["mobile"]
    _touch(draft)
    try:
        with transaction.atomic():
            draft.save(
                update_fields=["username", "auth_email", "without_mobile", "mobile", "updated_at"]
            )
    except IntegrityError:
        raise Refusal(
            "username_taken",
            _taken_message(values["username"]),
            field="username",
            params={"name": values["username"]},
        ) from None


def _username_taken(username: str) -> Refusal:
    return Refusal(
        "username_taken", _taken_message(username), field="username", params={"name": username}
    )


def _number_taken(number: Number) -> Refusal:
    return Refusal(
        "number_held", _number_taken_message(number), field="number", params={"number": number.e164}
    )


def reserve_number(*, actor: Actor, draft: SetupDraft, number: Number | str) -> None:
    """Reserve ``number`` (a row, or its E.164 form as the wizard posts it) for the draft,
    releasing the one it held before.

    The rules of :func:`check_number`, checked once, with the number row locked: of many
    drafts reaching for one number exactly one wins; the unique constraint on the draft's
    number backs this up on any database.
    """
    policy.check_change(actor, draft)
    value = number.e164 if isinstance(number, Number) else str(number or "").strip()
    if not value:
        raise Refusal("required", _("Bitte wählen Sie eine Rufnummer aus."), field="number")
    try:
        with transaction.atomic():
            locked = Number.objects.by_e164(draft.trunk_id, value, lock=True)
            if locked is None:
                raise Number.DoesNotExist
            if number_is_held(locked, draft=draft):
                raise _number_taken(locked)
            draft.number = locked
            _touch(draft)
            draft.save(update_fields=["number", "updated_at"])
    except Number.DoesNotExist:
        raise Refusal(
            "number_not_on_trunk",
            _("Diese Rufnummer gehört nicht zu diesem SIP-Trunk."),
            field="number",
            params={"number": value},
        ) from None
    except IntegrityError:
        raise _number_taken(locked) from None


def choose_package(*, actor: Actor, draft: SetupDraft, package: Package | None) -> None:
    """Konferenzpaket buchen: a conference package that can be ordered, or none."""
    policy.check_change(actor, draft)
    if package is not None and (package.kind != Package.Kind.CONFERENCE or not package.active):
        raise Refusal(
            "package_not_listed", _("Bitte wählen Sie ein Paket aus der Liste."), field="package"
        )
    draft.package = package
    draft.package_chosen = True
    _touch(draft)
    draft.save(update_fields=["package", "package_chosen", "updated_at"])


@transaction.atomic
def add_to_cart(*, draft: SetupDraft, actor: Actor) -> None:
    """A complete draft takes a place of its trunk's quota; refused when none is left.

    The trunk row is locked while counting, so of two admins reaching for the last place
    exactly one gets it. Only the draft's own admin puts it into their cart (``not_found``).
    """
    policy.check_change(actor, draft)
    missing = draft.first_missing()
    if missing is not None:
        raise Refusal(
            "draft_incomplete",
            _("Die Einrichtung ist unvollständig (%(step)s).")
            % {"step": draft.part_label(missing)},
            params={"step": missing},
        )
    trunk = quota.lock_trunks([draft.trunk_id])[draft.trunk_id]
    if draft.status != SetupDraft.Status.IN_CART and quota.places_left(trunk) < 1:
        raise Refusal(
            "quota_exhausted",
            quota.quota_exhausted_message(trunk),
            field=GENERAL,
            params={"trunk": trunk.name},
        )
    draft.status = SetupDraft.Status.IN_CART
    _touch(draft)
    draft.save(update_fields=["status", "updated_at"])


def _unknown_package_message() -> str:
    return _("Bitte wählen Sie ein Paket aus der Liste.")


def _quota_problem(checked: Checked, trunk: SipTrunk) -> None:
    checked.add(
        "trunk",
        _(
            "Das Kontingent dieses SIP-Trunks ist ausgeschöpft. Wenden Sie sich an den "
            "Kundenservice, um es zu erweitern."
        ),
        code="quota_exhausted",
        params={"trunk": trunk.name},
    )


def _wanted_number(
    checked: Checked, *, trunk: SipTrunk, number: object, book: NumberBook | None
) -> Number | None:
    """The number :func:`put_in_cart` was asked for (None: the next free one), checked."""
    text = str(number or "").strip()
    if not text:
        # Not from a batch's book: it does not know what the batch reserved since.
        found = next_free_numbers(trunk=trunk, count=1)
        if not found:
            checked.add(
                "number",
                _("Auf diesem SIP-Trunk ist keine Rufnummer mehr frei."),
                code="numbers_used_up",
            )
            return None
        return found[0]
    try:
        e164 = parse_rufnummer(text, book.trunk_numbers if book else trunk)
    except ValidationError as error:
        checked.add_error("number", error)
        return None
    result = check_number(trunk=trunk, e164=e164, book=book)
    checked.merge(result)
    return result.values.get("number")


def put_in_cart(
    *,
    actor: Actor,
    trunk: SipTrunk,
    person: Mapping[str, object],
    contacts: Mapping[str, object],
    username: str | None = None,
    number: str | None = None,
    package: str | None = None,
    book: NumberBook | None = None,
) -> SetupDraft:
    """Put one workplace into the actor's cart from plain values, as the wizard's steps 2 to 6
    would: a draft with its username and number reserved, its package chosen, in the cart.

    ``person``: the Benutzerdaten (:data:`USER_DATA_FIELDS`); ``contacts``: ``auth_email``,
    ``mobile``, ``without_mobile`` (None: by e-mail when no mobile number is given) and
    optionally ``auth_email_repeat``. ``username`` None: the suggestion from the name;
    ``number`` None or blank: the trunk's next free number, else an E.164 number, a national
    one (``0228 181234-13``) or the extension alone; ``package`` None or blank: none, else the
    code of a package that can be ordered. ``book``: a batch's :class:`NumberBook` of the
    trunk, to look numbers up without a query (the held ones are checked again under lock).

    Every problem is reported at once in one :class:`~portal.errors.Refusal`; a trunk the
    actor may not change is ``not_found``. All or nothing: a refusal leaves no draft, no
    claim on a name and no reservation.
    """
    policy.check_change(actor, trunk)
    checked = check_user_data(data=person)
    checked.merge(
        check_contacts(
            auth_email=contacts.get("auth_email"),
            mobile=contacts.get("mobile"),
            without_mobile=contacts.get("without_mobile"),
            auth_email_repeat=contacts.get("auth_email_repeat"),
        )
    )
    values = dict(checked.values)
    if username is None:
        names_ok = not {"first_name", "last_name"} & set(checked.errors)
        suggestion = names_ok and suggest_username(
            first_name=values["first_name"], last_name=values["last_name"]
        )
        if suggestion:
            values["username"] = suggestion
        elif names_ok:
            checked.add(
                "username",
                _(
                    "Aus Vor- und Nachname lässt sich kein Benutzername bilden. Bitte tragen Sie "
                    "einen Benutzernamen ein."
                ),
                code="username_not_derivable",
            )
    else:
        values.update(checked.merge(check_username(username=username)).values)
    chosen_number = _wanted_number(checked, trunk=trunk, number=number, book=book)
    chosen_package = None
    if str(package or "").strip():
        chosen_package = Package.objects.orderable_by_code(package)
        if chosen_package is None:
            checked.add(
                "package",
                _unknown_package_message(),
                code="unknown_package",
                params={"package": str(package).strip()},
            )
    [counted] = quota.with_places(SipTrunk.objects.filter(pk=trunk.pk))
    if quota.places_left(counted) < 1:
        _quota_problem(checked, trunk)
    checked.raise_if_errors()
    with transaction.atomic():
        locked_trunk = quota.lock_trunks([trunk.pk])[trunk.pk]
        if quota.places_left(locked_trunk) < 1:
            refused = Checked()
            _quota_problem(refused, trunk)
            refused.raise_if_errors()
        locked = Number.objects.select_for_update().get(pk=chosen_number.pk)
        if number_is_held(locked):
            raise _number_taken(locked)
        draft = SetupDraft(
            customer_id=trunk.customer_id,
            created_by=actor.user,
            trunk=trunk,
            status=SetupDraft.Status.IN_CART,
            number=locked,
            package=chosen_package,
            package_chosen=True,
            **{name: values[name] for name in USER_DATA_FIELDS},
            **{
                name: values[name]
                for name in ("username", "auth_email", "mobile", "without_mobile")
            },
        )
        try:
            with transaction.atomic():
                draft.save()
        except IntegrityError:
            if username_taken(values["username"]):
                raise _username_taken(values["username"]) from None
            raise _number_taken(locked) from None
    return draft


def release_draft(*, actor: Actor, draft: SetupDraft) -> None:
    """End a draft and give back its username and number ("Verwerfen", out of the cart)."""
    policy.check_change(actor, draft)
    _release(draft, SetupDraft.Status.DISCARDED)


def _release(draft: SetupDraft, status: str) -> None:
    draft.status = status
    draft.username = None
    draft.number = None
    draft.save(update_fields=["status", "username", "number", "updated_at"])


def expire_drafts(*, now: dt.datetime | None = None) -> int:
    """Release what idle drafts reserved. Idempotent: an expired draft is not live any more."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(hours=settings.DRAFT_IDLE_HOURS)
    idle = SetupDraft.objects.filter(status__in=SetupDraft.LIVE, updated_at__lt=cutoff)
    with transaction.atomic():
        UsernameClaim.objects.filter(draft__in=idle).delete()
        return idle.update(status=SetupDraft.Status.EXPIRED, username=None, number=None)


def live_drafts_of(admin: User):
    return (
        SetupDraft.objects.filter(created_by=admin, status__in=SetupDraft.LIVE)
        .select_related("trunk", "number", "package")
        .order_by("-updated_at")
    )


def create_workplace_from(*, draft: SetupDraft, admin: User) -> Workplace:
    """Turn a checked draft into a pending workplace; the draft gives up its reservations.

    Called by ordering inside its transaction, with the number row already locked.
    """
    number, username = draft.number, draft.username
    _release(draft, SetupDraft.Status.ORDERED)
    return Workplace.objects.create(
        trunk_id=draft.trunk_id,
        username=username,
        number=number,
        package=draft.package,
        created_by=admin,
        **{name: getattr(draft, name) for name in PERSON_FIELDS},
    )
