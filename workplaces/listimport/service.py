"""The list import's check ("Prüfen") and cart step ("In den Warenkorb"), row by row.

Every rule is the setup service's, called as the wizard calls it; this module only maps the
columns to the service's arguments and fills in the defaults the README lists:

- ``E-Mail-Adresse zur Authentifizierung`` empty: the ``E-Mail-Adresse``;
- ``Mobilfunknummer`` empty: the password goes by e-mail (``check_contacts`` with
  ``without_mobile=None``);
- ``Benutzername`` empty: the wizard's suggestion from the name, unique in the system and in
  the file;
- ``Rufnummer`` empty: the trunk's next free number, none that another row names.

Uniqueness inside the file is the service's ``also_taken``; the quota of the trunk counts all
fault-free rows together (``quota.places_left``). The check reads the system in a few batch
queries (``UsernameLookup``, ``NumberBook``) and reserves nothing.

"The same person" (nobody is added twice when a list is uploaded again): a row with a
``Benutzername`` is the person with that username on the trunk; a row without one is the
person with the same first name, last name and authentication e-mail address (case does not
count). Such a row is reported as already in a cart of the customer (``in_cart``) or already
set up on the trunk (a workplace that is not deleted: ``set_up``) and is not added.

The cart step puts each row into the cart with the setup service's composite command
(``put_in_cart``), each row in its own transaction: a row whose username or number was taken
since the check is reported and the others go on.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections import ChainMap, Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from catalog.models import Package
from catalog.parsing import match_package
from portal import celery, policy, ratelimit
from portal.errors import Refusal
from portal.models import User
from portal.policy import Actor
from trunks.models import SipTrunk
from trunks.parsing import TrunkNumbers, parse_rufnummer
from workplaces.listimport.columns import FIELDS, HeaderMatch
from workplaces.listimport.files import Row, Sheet, read_upload
from workplaces.models import ImportRun, SetupDraft, Workplace
from workplaces.services import GENERAL, Checked, quota, setup

log = logging.getLogger(__name__)

#: Which rows the cart step takes.
ONLY_OK = "ok"
ALL = "all"
MODES = (ONLY_OK, ALL)

#: Why a row was not added: already in a cart of the customer, or set up on the trunk.
IN_CART = "in_cart"
SET_UP = "set_up"

#: How often a task writes its progress (rows).
CHECK_PROGRESS_EVERY = 250
CART_PROGRESS_EVERY = 25

#: Why a run failed (the page says it in words).
NOT_STARTED = "not_started"
CRASHED = "crashed"
#: The file cannot be imported; ``ImportRun.failure_message`` says why.
REFUSED = "refused"


# --- the sheet as the run keeps it --------------------------------------------------------


def _storable(text: str) -> str:
    """PostgreSQL's JSON cannot hold NUL; the mark shows where one was (it is an error anyway)."""
    return text.replace("\x00", "\ufffd")


def sheet_to_json(sheet: Sheet) -> dict:
    return {
        "kind": sheet.kind,
        "header": [_storable(cell) for cell in sheet.header],
        "header_line": sheet.header_line,
        "positions": sheet.match.positions,
        "unknown": [_storable(cell) for cell in sheet.match.unknown],
        "error_position": sheet.match.error_position,
        "notices": sheet.notices,
        "rows": [[row.line, [_storable(cell) for cell in row.raw]] for row in sheet.rows],
    }


def sheet_from_json(data: dict) -> Sheet:
    positions = {str(k): int(v) for k, v in data["positions"].items()}
    match = HeaderMatch(
        positions=positions, unknown=list(data["unknown"]), error_position=data["error_position"]
    )
    rows = []
    for line, raw in data["rows"]:
        values = dict.fromkeys(FIELDS, "")
        for name, position in positions.items():
            if position < len(raw):
                values[name] = raw[position]
        rows.append(Row(line=line, values=values, raw=raw))
    return Sheet(
        kind=data["kind"],
        header=list(data["header"]),
        header_line=data["header_line"],
        match=match,
        rows=rows,
        notices=list(data["notices"]),
    )


# --- who is already there -----------------------------------------------------------------


@dataclass
class People:
    """The trunk's people in a cart of the customer or set up: by username and by person."""

    #: key -> (IN_CART or SET_UP, the admin whose cart holds the draft: pk, name)
    by_username: dict[str, tuple[str, int | None, str]] = field(default_factory=dict)
    by_person: dict[tuple[str, str, str], tuple[str, int | None, str]] = field(default_factory=dict)

    @classmethod
    def of(cls, trunk: SipTrunk) -> People:
        people = cls()
        drafts = SetupDraft.objects.filter(
            trunk=trunk, customer_id=trunk.customer_id, status=SetupDraft.Status.IN_CART
        ).values_list(
            "username",
            "first_name",
            "last_name",
            "auth_email",
            "created_by_id",
            "created_by__first_name",
            "created_by__last_name",
            "created_by__username",
        )
        for username, first, last, auth, admin, admin_first, admin_last, admin_name in drafts:
            by = f"{admin_first} {admin_last}".strip() or admin_name
            people.add(username, first, last, auth, (IN_CART, admin, by))
        workplaces = (
            Workplace.objects.filter(trunk=trunk)
            .exclude(status=Workplace.Status.DELETED)
            .values_list("username", "first_name", "last_name", "auth_email")
        )
        for username, first, last, auth in workplaces:
            people.add(username, first, last, auth, (SET_UP, None, ""))
        return people

    def add(self, username, first, last, auth, where: tuple[str, int | None, str]) -> None:
        if username:
            self.by_username.setdefault(username.lower(), where)
        self.by_person.setdefault(setup.person_key(first, last, auth), where)

    def find(self, key: list) -> tuple[str, int | None, str] | None:
        """``key``: ``["u", username]`` or ``["p", first, last, auth_email]`` (a row's key)."""
        if key[0] == "u":
            return self.by_username.get(key[1].lower())
        return self.by_person.get(setup.person_key(*key[1:]))


# --- the check ----------------------------------------------------------------------------


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
    return {
        "rows": [r.as_json() for r in checking],
        "ok": sum(r.ok for r in checking),
        "failed": sum(1 for r in active if not r.checked.ok),
        "skipped": len(checking) - len(active),
        "notices": [*notices, *([quota_notice] if quota_notice else [])],
    }


# --- the cart step ------------------------------------------------------------------------


def _add_row(
    *, actor: Actor, trunk: SipTrunk, values: dict, book, run: ImportRun | None = None
) -> None:
    """One checked row into the cart with the composite setup command; all or nothing."""
    with transaction.atomic():
        draft = setup.put_in_cart(
            actor=actor,
            trunk=trunk,
            person=values["user_data"],
            contacts=values["contacts"],
            username=values["username"],
            number=values["number"],
            package=values["package"],
            book=book,
        )
        if run is not None:
            SetupDraft.objects.filter(pk=draft.pk).update(import_run=run)


def add_rows_to_cart(
    *,
    admin: User,
    trunk: SipTrunk,
    rows: Sequence[dict],
    progress: Callable[[int], None] | None = None,
    run: ImportRun | None = None,
) -> dict:
    """ "In den Warenkorb": the checked fault-free rows become drafts in the admin's cart.

    ``rows`` are the check's rows with values. Each row is its own transaction: a row that
    a rule now stops (username or number taken since the check, quota used up) is reported
    with the service's message, the others go on. A row whose person is in a cart or set up
    by now is reported as such and not added, unless ``run`` put it there: an earlier attempt
    of this run whose worker died, so the row counts as added.
    """
    mine = set()
    if run is not None:
        mine = set(SetupDraft.objects.filter(import_run=run).values_list("username", flat=True))
    people = People.of(trunk)
    book = setup.NumberBook.of(trunk)
    actor = Actor.for_admin(admin)
    added, report = 0, []
    for index, row in enumerate(rows, start=1):
        values = row["values"]
        found = people.find(values["key"]) if values.get("key") else None
        if values["username"] in mine:
            added += 1
        elif found is not None:
            skip, admin_id, by = found
            report.append(
                {"line": row["line"], "skip": skip, "skip_admin": admin_id, "skip_by": by}
            )
        else:
            try:
                _add_row(actor=actor, trunk=trunk, values=values, book=book, run=run)
            except Refusal as error:
                errors = [[name, m] for name, ms in error.errors.items() for m in ms]
                report.append({"line": row["line"], "errors": errors})
            else:
                added += 1
        if progress is not None and index % CART_PROGRESS_EVERY == 0:
            progress(index)
    return {"added": added, "rows": report}


# --- runs: upload, task, purge ------------------------------------------------------------


class Busy(Exception):
    """Another task holds the run's claim and may still be working on it: try again later."""


def _stale_before(now: dt.datetime) -> dt.datetime:
    # By then the task's hard time limit has killed whoever held the claim.
    return now - dt.timedelta(seconds=settings.IMPORT_TASK_TIME_LIMIT + 30)


def claim_run(run_id: int, statuses: Sequence[str], **changes) -> str | None:
    """Claim the run for this execution with one conditional update; the claim, or None.

    Claimable: in one of ``statuses`` and not claimed, or claimed longer ago than a task may
    run (its worker died). :class:`Busy` when another execution holds a live claim: a second
    delivery of the same task (same task id) must not run beside the first.
    """
    claim = uuid.uuid4().hex
    now = timezone.now()
    free = Q(claimed_at__isnull=True) | Q(claimed_at__lt=_stale_before(now))
    runs = ImportRun.objects.filter(pk=run_id, status__in=statuses)
    if runs.filter(free).update(claimed_by=claim, claimed_at=now, **changes):
        return claim
    if runs.exists():
        raise Busy(run_id)
    return None


def _release(run_id: int, claim: str, **changes) -> int:
    """Write the run's outcome and free it, if this execution still holds the claim."""
    return ImportRun.objects.filter(pk=run_id, claimed_by=claim).update(
        claimed_by="", claimed_at=None, updated_at=timezone.now(), **changes
    )


def purge_runs(*, now: dt.datetime | None = None) -> int:
    """Delete runs older than ``ImportRun.KEEP``: they hold people's data for no one."""
    cutoff = (now or timezone.now()) - ImportRun.KEEP
    deleted, _counts = ImportRun.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def _enqueue(task: str, run_id: int) -> None:
    if not celery.enqueue(task, run_id):
        ImportRun.objects.filter(pk=run_id, status__in=ImportRun.WORKING).update(
            status=ImportRun.Status.FAILED, failure=NOT_STARTED
        )


def start_check(
    *, actor: Actor, trunk: SipTrunk, file_name: str, data: bytes, language: str = "de"
) -> ImportRun:
    """Keep the upload and hand reading and checking it to a task (in-process without a broker).

    The caller has made the cheap checks (``files.check_upload``); the rows are read in the
    task, so a request never holds the text a file expands to.

    At most ``LISTIMPORT_CHECKS_PER_HOUR`` per admin: a check says for every username of the
    file whether it is taken anywhere, so one admin must not probe thousands of guessed names.
    Over the limit this raises :class:`~portal.errors.Refusal` on the field ``file``; a trunk
    the actor may not change is ``not_found``.
    """
    policy.check_change(actor, trunk)
    admin = actor.user
    try:
        ratelimit.hit(
            "listimport-check",
            admin.pk,
            limit=settings.LISTIMPORT_CHECKS_PER_HOUR,
            window_seconds=3600,
        )
    except ratelimit.RateLimited as limited:
        raise Refusal(
            "import_throttled",
            _(
                "Sie haben in kurzer Zeit zu viele Listen prüfen lassen. Bitte versuchen Sie "
                "es ab %(time)s Uhr erneut."
            )
            % {"time": limited.local_time},
            field="file",
            params={"retry_at": limited.retry_at},
        ) from None
    purge_runs()
    with transaction.atomic():
        run = ImportRun.objects.create(
            customer_id=admin.customer_id,
            trunk=trunk,
            created_by=admin,
            file_name=file_name[:255],
            upload=data,
            language=language,
        )
        transaction.on_commit(lambda: _enqueue("workplaces.tasks.check_import", run.pk))
    return run


def _progress(run_id: int, claim: str) -> Callable[[int], None]:
    def write(done: int) -> None:
        ImportRun.objects.filter(pk=run_id, claimed_by=claim).update(
            done=done, updated_at=timezone.now()
        )

    return write


def _read(run: ImportRun, claim: str) -> Sheet | None:
    """The run's rows: read from the upload (kept as JSON, the upload dropped), or as kept.

    None when the file cannot be imported; the run is then marked with the reason.
    """
    if run.upload is None:
        return sheet_from_json(run.sheet)
    try:
        sheet = read_upload(run.file_name, bytes(run.upload))
        if not sheet.rows:
            raise Refusal(
                "file_empty",
                _("Die Datei enthält nur die Kopfzeile, aber keine Zeile mit Daten."),
                field="file",
            )
    except Refusal as error:
        _release(
            run.pk,
            claim,
            status=ImportRun.Status.FAILED,
            failure=REFUSED,
            failure_message=error.message,
            upload=None,
        )
        return None
    ImportRun.objects.filter(pk=run.pk, claimed_by=claim).update(
        sheet=sheet_to_json(sheet), upload=None, total=len(sheet.rows), updated_at=timezone.now()
    )
    return sheet


def run_check(*, run_id: int) -> None:
    """The check task's body. Idempotent: a check reserves nothing and writes only its run.

    Raises :class:`Busy` while another execution works on the run.
    """
    claim = claim_run(
        run_id,
        (ImportRun.Status.QUEUED, ImportRun.Status.CHECKING),
        status=ImportRun.Status.CHECKING,
        done=0,
    )
    if claim is None:
        return
    run = ImportRun.objects.select_related("trunk").get(pk=run_id)
    try:
        with translation.override(run.language):
            sheet = _read(run, claim)
            if sheet is None:
                return
            result = check_rows(
                trunk=run.trunk,
                rows=sheet.rows,
                notices=sheet.notices,
                progress=_progress(run_id, claim),
            )
    except Exception:
        _release(run_id, claim, status=ImportRun.Status.FAILED, failure=CRASHED)
        raise
    _release(run_id, claim, status=ImportRun.Status.CHECKED, result=result, done=len(sheet.rows))


def start_cart(*, actor: Actor, run: ImportRun, mode: str) -> None:
    """Hand the cart step to a task; ``mode`` ALL is refused while any row has an error."""
    policy.check_change(actor, run)
    if run.status != ImportRun.Status.CHECKED:
        raise Refusal("import_taken_over", _("Diese Liste wurde bereits übernommen."), field="mode")
    if mode not in MODES:
        raise Refusal(
            "import_mode", _("Bitte wählen Sie, welche Zeilen übernommen werden."), field="mode"
        )
    failed, ok = run.result.get("failed", 0), run.result.get("ok", 0)
    if mode == ALL and failed:
        raise Refusal(
            "import_mode",
            ngettext(
                "%(count)d Zeile hat Fehler. Korrigieren Sie die Datei und laden Sie sie erneut "
                "hoch, oder übernehmen Sie nur die fehlerfreien Zeilen.",
                "%(count)d Zeilen haben Fehler. Korrigieren Sie die Datei und laden Sie sie "
                "erneut hoch, oder übernehmen Sie nur die fehlerfreien Zeilen.",
                failed,
            )
            % {"count": failed},
            field="mode",
            params={"failed": failed},
        )
    if not ok:
        raise Refusal(
            "import_nothing_to_take", _("Keine Zeile ist fehlerfrei; es gibt nichts zu übernehmen.")
        )
    with transaction.atomic():
        claimed = ImportRun.objects.filter(pk=run.pk, status=ImportRun.Status.CHECKED).update(
            status=ImportRun.Status.ADDING,
            mode=mode,
            done=0,
            total=ok,
            claimed_by="",
            claimed_at=None,
        )
        if claimed:  # a second click finds the run taken and starts nothing
            transaction.on_commit(lambda: _enqueue("workplaces.tasks.add_import_to_cart", run.pk))


def run_cart(*, run_id: int) -> None:
    """The cart task's body. Safe twice: a row this run added before (its worker died) counts
    as added, a row added otherwise is found in the cart again.

    Raises :class:`Busy` while another execution works on the run.
    """
    claim = claim_run(run_id, (ImportRun.Status.ADDING,), done=0)
    if claim is None:
        return
    run = ImportRun.objects.select_related("trunk", "created_by").get(pk=run_id)
    rows = [row for row in run.result["rows"] if "values" in row]
    try:
        with translation.override(run.language):
            cart_result = add_rows_to_cart(
                admin=run.created_by,
                trunk=run.trunk,
                rows=rows,
                progress=_progress(run_id, claim),
                run=run,
            )
    except Exception:
        _release(run_id, claim, status=ImportRun.Status.FAILED, failure=CRASHED)
        raise
    _release(run_id, claim, status=ImportRun.Status.ADDED, cart_result=cart_result, done=len(rows))
