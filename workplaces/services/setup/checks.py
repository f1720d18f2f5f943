"""The checks of what a workplace is set up with: the Benutzerdaten, how the credentials
travel, the username, the same person twice in a batch, and the trunk.

Each looks at input and returns a :class:`~workplaces.services.Checked`; none changes anything.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from portal import policy, ratelimit
from portal.policy import Actor
from trunks.models import SipTrunk
from workplaces import validators
from workplaces.models import SetupDraft, field_limit
from workplaces.services import Checked, quota
from workplaces.services.setup.usernames import UsernameLookup, _taken_message, _username_is_taken

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
