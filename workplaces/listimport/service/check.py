"""The check ("Prüfen"): every row with the setup service's rules and the defaults filled
in, checked together for the file (usernames, numbers, the quota); nothing is reserved.
"""

from __future__ import annotations

from collections import ChainMap, Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from catalog.models import Package
from catalog.parsing import match_package
from portal import metrics
from trunks.models import SipTrunk
from trunks.parsing import TrunkNumbers, parse_rufnummer
from workplaces.listimport.files import Row
from workplaces.listimport.service.people import People
from workplaces.services import GENERAL, Checked, quota, setup

#: How often a task writes its progress (rows).
CHECK_PROGRESS_EVERY = 250


@dataclass
class _Row:
    """One row while it is checked."""

    line: int
    raw: dict[str, str]
    checked: Checked = field(default_factory=Checked)
    defaults: list[tuple[str, str]] = field(default_factory=list)
    user_data: dict = field(default_factory=dict)
    contacts: dict = field(default_factory=dict)
    username: str = ""
    e164: str | None = None
    package: str | None = None
    key: list | None = None
    skip: tuple[str, int | None, str] | None = None

    @property
    def ok(self) -> bool:
        return self.skip is None and self.checked.ok

    def names_ok(self) -> bool:
        return not ({"first_name", "last_name"} & self.checked.errors.keys())

    def as_json(self) -> dict:
        data: dict = {
            "line": self.line,
            "errors": [[name, m] for name, ms in self.checked.errors.items() for m in ms],
            "defaults": [list(d) for d in self.defaults],
        }
        if self.skip is not None:
            data["skip"], data["skip_admin"], data["skip_by"] = self.skip
        elif self.checked.ok:
            data["values"] = {
                "user_data": self.user_data,
                "username": self.username,
                "contacts": self.contacts,
                "number": self.e164,
                "package": self.package,
                "key": self.key,
            }
        return data


def _check_alone(row: Row, numbers: TrunkNumbers, packages: list[Package]) -> _Row:
    """What a row says by itself: Benutzerdaten, contacts, package, the number as written."""
    raw = row.values
    checking = _Row(line=row.line, raw=raw)
    user = setup.check_user_data(data={name: raw[name] for name in setup.USER_DATA_FIELDS})
    auth, auth_defaulted = raw["auth_email"], False
    if not auth and raw["email"]:
        auth, auth_defaulted = raw["email"], True
    contacts = setup.check_contacts(auth_email=auth, mobile=raw["mobile"], without_mobile=None)
    if auth_defaulted and "email" in user.errors:
        contacts.discard("auth_email")  # the E-Mail-Adresse's own message says it
    checking.checked.merge(user).merge(contacts)
    checking.user_data = {name: user.values.get(name, "") for name in setup.USER_DATA_FIELDS}
    checking.contacts = {
        name: contacts.values[name] for name in ("auth_email", "mobile", "without_mobile")
    }
    if auth_defaulted and "auth_email" not in contacts.errors:
        checking.defaults.append(("auth_email", contacts.values["auth_email"]))
    if not raw["mobile"]:
        checking.defaults.append(("mobile", _("ohne Mobilfunknummer: Passwort per E-Mail")))
    try:
        package = match_package(raw["package"], packages)
    except ValidationError as error:
        checking.checked.add_error("package", error)
    else:
        checking.package = package.code if package else None
    try:
        checking.e164 = parse_rufnummer(raw["number"], numbers)
    except ValidationError as error:
        checking.checked.add_error("number", error)
    username = raw["username"].strip()
    if username:
        checking.key = ["u", username]
    elif checking.names_ok() and "auth_email" not in checking.checked.errors:
        first, last = checking.user_data["first_name"], checking.user_data["last_name"]
        checking.key = ["p", first, last, checking.contacts["auth_email"]]
    return checking


def _in_file_message(what: str, line: int) -> str:
    if what == "username":
        return _("Dieser Benutzername steht schon in Zeile %(line)d der Datei.") % {"line": line}
    return _("Diese Rufnummer steht schon in Zeile %(line)d der Datei.") % {"line": line}


def _suggestion_candidates(rows: list[_Row]) -> set[str]:
    """The names the suggestions will try: per name as many as rows share it, and one more."""
    names: dict[str, tuple[str, str]] = {}
    counts: Counter[str] = Counter()
    for row in rows:
        if row.raw["username"].strip() or not row.names_ok():
            continue
        first, last = row.user_data["first_name"], row.user_data["last_name"]
        base = setup.username_candidates(first_name=first, last_name=last, count=1)
        if base:
            names.setdefault(base[0], (first, last))
            counts[base[0]] += 1
    candidates: set[str] = set()
    for base, (first, last) in names.items():
        count = counts[base] + 1
        candidates.update(setup.username_candidates(first_name=first, last_name=last, count=count))
    return candidates


def _check_usernames(rows: list[_Row]) -> None:
    """Given usernames by the service's rules, empty ones suggested; none twice in the file."""
    given = {r.raw["username"].strip() for r in rows if r.raw["username"].strip()}
    lookup = setup.UsernameLookup(given | _suggestion_candidates(rows))
    seen: dict[str, int] = {}
    people: dict[tuple[str, str, str], int] = {}
    # Suggestions avoid every username the file gives, also those of later rows.
    avoid = ChainMap(seen, dict.fromkeys(given, 0))
    for row in rows:
        username = row.raw["username"].strip()
        if username:
            checked = setup.check_username(username=username, also_taken=seen, taken=lookup)
            if not checked.ok and username in seen:
                checked.replace(
                    "username",
                    _in_file_message("username", seen[username]),
                    code="username_in_file",
                    params={"line": seen[username]},
                )
            row.checked.merge(checked)
            seen.setdefault(username, row.line)
            row.username = username
            continue
        if not row.names_ok():
            continue
        if row.key is not None:
            same = setup.check_same_person(
                first_name=row.key[1], last_name=row.key[2], auth_email=row.key[3], seen=people
            )
            if not same.ok:
                row.checked.merge(same)
                continue
            people[setup.person_key(*row.key[1:])] = row.line
        suggestion = setup.suggest_username(
            first_name=row.user_data["first_name"],
            last_name=row.user_data["last_name"],
            also_taken=avoid,
            taken=lookup,
        )
        if not suggestion:
            row.checked.add(
                "username",
                _(
                    "Aus Vor- und Nachname lässt sich kein Benutzername bilden. Bitte tragen Sie "
                    "einen Benutzernamen ein."
                ),
                code="username_not_derivable",
            )
            continue
        row.username = suggestion
        seen[suggestion] = row.line
        row.defaults.append(("username", suggestion))


def _check_numbers(rows: list[_Row], trunk: SipTrunk, book: setup.NumberBook) -> None:
    """Numbers written in the file by the service's rules; the next free ones for the rest."""
    seen: dict[str, int] = {}
    for row in rows:
        if row.e164 is None:
            continue
        checked = setup.check_number(trunk=trunk, e164=row.e164, also_taken=seen, book=book)
        if not checked.ok and row.e164 in seen:
            checked.replace(
                "number",
                _in_file_message("number", seen[row.e164]),
                code="number_in_file",
                params={"line": seen[row.e164]},
            )
        checked.values.pop("number", None)
        row.checked.merge(checked)
        seen.setdefault(row.e164, row.line)
    needing = [r for r in rows if not r.raw["number"].strip() and r.checked.ok]
    free = setup.next_free_numbers(trunk=trunk, count=len(needing), also_taken=seen, book=book)
    for row, number in zip(needing, free, strict=False):
        row.e164 = number.e164
        row.defaults.append(("number", number.national))
    for row in needing[len(free) :]:
        row.checked.add(
            "number",
            _("Auf diesem SIP-Trunk ist keine Rufnummer mehr frei."),
            code="numbers_used_up",
        )


def _check_quota(rows: list[_Row], trunk: SipTrunk) -> str:
    """The trunk's places left for all fault-free rows together; a notice when they are short."""
    [counted] = quota.with_places(SipTrunk.objects.filter(pk=trunk.pk))
    left = max(quota.places_left(counted), 0)
    fault_free = [r for r in rows if r.ok]
    if len(fault_free) <= left:
        return ""
    for row in fault_free[left:]:
        row.checked.add(
            GENERAL,
            quota.quota_exhausted_message(counted),
            code="quota_exhausted",
            params={"trunk": counted.name},
        )
    return ngettext(
        "Der SIP-Trunk hat noch %(left)d freien Platz für %(rows)d fehlerfreie Zeilen; die "
        "Zeilen darüber hinaus sind als Fehler markiert.",
        "Der SIP-Trunk hat noch %(left)d freie Plätze für %(rows)d fehlerfreie Zeilen; die "
        "Zeilen darüber hinaus sind als Fehler markiert.",
        left,
    ) % {"left": left, "rows": len(fault_free)}


def check_rows(
    *,
    trunk: SipTrunk,
    rows: Sequence[Row],
    notices: Sequence[str] = (),
    progress: Callable[[int], None] | None = None,
) -> dict:
    """ "Prüfen": every row with the wizard's rules and the defaults; nothing is reserved.

    Returns the result as the run keeps it: per row its errors (field, message), the
    defaults filled in, and for a fault-free row the values the cart step hands to the
    service; the counts; the notices.
    """
    packages = setup.conference_packages()
    numbers = TrunkNumbers.of(trunk)
    book = setup.NumberBook.of(trunk)
    people = People.of(trunk)
    checking: list[_Row] = []
    for index, row in enumerate(rows, start=1):
        checking.append(_check_alone(row, numbers, packages))
        if progress is not None and index % CHECK_PROGRESS_EVERY == 0:
            progress(index)
    for row in checking:
        found = people.find(row.key) if row.key is not None else None
        if found is not None:
            row.skip = found
    active = [r for r in checking if r.skip is None]
    _check_usernames(active)
    _check_numbers(active, trunk, book)
    quota_notice = _check_quota(active, trunk)
    metrics.IMPORT_ROWS.labels("checked").inc(len(checking))
    metrics.IMPORT_ROWS.labels("refused").inc(sum(1 for r in active if not r.checked.ok))
    return {
        "rows": [r.as_json() for r in checking],
        "ok": sum(r.ok for r in checking),
        "failed": sum(1 for r in active if not r.checked.ok),
        "skipped": len(checking) - len(active),
        "notices": [*notices, *([quota_notice] if quota_notice else [])],
    }
