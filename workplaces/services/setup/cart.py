"""The composite command: one workplace into the cart from plain values, as the wizard's steps
would put it there, every problem in one refusal, all or nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from catalog.models import Package
from portal import policy
from portal.policy import Actor
from trunks.models import Number, SipTrunk
from trunks.parsing import parse_rufnummer
from workplaces.models import SetupDraft
from workplaces.services import Checked, quota
from workplaces.services.setup.checks import (
    USER_DATA_FIELDS,
    check_contacts,
    check_user_data,
    check_username,
)
from workplaces.services.setup.numbers import (
    NumberBook,
    _number_taken,
    check_number,
    next_free_numbers,
    number_is_held,
)
from workplaces.services.setup.usernames import (
    UsernameLookup,
    _username_taken,
    suggest_username,
    username_taken,
)


def unknown_package_message() -> str:
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
    checked: Checked,
    *,
    trunk: SipTrunk,
    number: object,
    book: NumberBook | None,
    free_number: Callable[[], Number | None] | None = None,
) -> Number | None:
    """The number :func:`put_in_cart` was asked for (None: the next free one), checked."""
    text = str(number or "").strip()
    if not text:
        # Not from a batch's book (it does not know what the batch reserved since), unless
        # the batch says which is next (``free_number``).
        found = [free_number()] if free_number else next_free_numbers(trunk=trunk, count=1)
        found = [number for number in found if number is not None]
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


def check_entry(
    *,
    trunk: SipTrunk,
    person: Mapping[str, object],
    contacts: Mapping[str, object],
    username: str | None,
    number: str | None,
    package: str | None,
    book: NumberBook | None,
    taken: UsernameLookup | None = None,
    packages: dict[str, Package | None] | None = None,
    free_number: Callable[[], Number | None] | None = None,
) -> tuple[Checked, dict, Number | None, Package | None]:
    """What :func:`put_in_cart` checks before it writes: the problems, the values, the number
    and the package. ``taken``, ``packages`` (code -> package, filled as asked) and
    ``free_number`` (the next free number for a row without one): a batch's lookups, so that
    a row costs no query of its own."""
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
            first_name=values["first_name"], last_name=values["last_name"], taken=taken
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
        values.update(checked.merge(check_username(username=username, taken=taken)).values)
    chosen_number = _wanted_number(
        checked, trunk=trunk, number=number, book=book, free_number=free_number
    )
    chosen_package = None
    if str(package or "").strip():
        code = str(package).strip()
        if packages is None:
            chosen_package = Package.objects.orderable_by_code(code)
        else:
            if code not in packages:
                packages[code] = Package.objects.orderable_by_code(code)
            chosen_package = packages[code]
        if chosen_package is None:
            checked.add(
                "package",
                unknown_package_message(),
                code="unknown_package",
                params={"package": str(package).strip()},
            )
    return checked, values, chosen_number, chosen_package


def new_draft(
    actor: Actor,
    trunk: SipTrunk,
    values: dict,
    number: Number,
    package: Package | None,
    import_run=None,
) -> SetupDraft:
    """The draft in the cart that :func:`check_entry`'s values make (not saved yet)."""
    return SetupDraft(
        customer_id=trunk.customer_id,
        created_by=actor.user,
        trunk=trunk,
        status=SetupDraft.Status.IN_CART,
        number=number,
        package=package,
        package_chosen=True,
        import_run=import_run,
        **{name: values[name] for name in USER_DATA_FIELDS},
        **{name: values[name] for name in ("username", "auth_email", "mobile", "without_mobile")},
    )


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
    checked, values, chosen_number, chosen_package = check_entry(
        trunk=trunk,
        person=person,
        contacts=contacts,
        username=username,
        number=number,
        package=package,
        book=book,
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
        draft = new_draft(actor, trunk, values, locked, chosen_package)
        try:
            with transaction.atomic():
                draft.save()
        except IntegrityError:
            if username_taken(values["username"]):
                raise _username_taken(values["username"]) from None
            raise _number_taken(locked) from None
    return draft
