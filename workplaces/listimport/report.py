"""What the result page and the error list show of a run: rows, columns, messages, defaults.

The run keeps field names and the service's messages; the column headers (a file format, not
translated) and the sentences around them are put in here, at the edge.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from catalog.models import Package
from trunks.numbers import format_national
from workplaces.listimport import service
from workplaces.listimport.columns import BY_FIELD, FIELDS
from workplaces.listimport.files import Sheet
from workplaces.models import ImportRun
from workplaces.services import GENERAL

#: Lines of each table the page shows; the error list has all of them.
SHOWN = 200


def column_of(field_name: str) -> str:
    column = BY_FIELD.get(field_name)
    return column.header if column is not None else ""


@dataclass(frozen=True)
class Entry:
    line: int
    name: str
    column: str
    text: str


@dataclass
class Table:
    entries: list[Entry] = field(default_factory=list)
    total: int = 0

    @property
    def cut(self) -> bool:
        return self.total > len(self.entries)

    def add(self, entry: Entry) -> None:
        self.total += 1
        if len(self.entries) < SHOWN:
            self.entries.append(entry)


def _names(sheet: Sheet) -> dict[int, str]:
    return {
        row.line: f"{row.values['first_name']} {row.values['last_name']}".strip()
        for row in sheet.rows
    }


def skip_text(row: dict, run: ImportRun) -> str:
    if row["skip"] == service.SET_UP:
        return _("bereits eingerichtet")
    if row.get("skip_admin") == run.created_by_id:
        return _("bereits im Warenkorb")
    return _("bereits im Warenkorb von %(admin)s") % {"admin": row.get("skip_by", "")}


def _fill(table: Table, names: dict[int, str], row: dict) -> None:
    for name, message in row.get("errors", []):
        table.add(Entry(row["line"], names.get(row["line"], ""), column_of(name), message))


@dataclass(frozen=True)
class CartEntry:
    """A fault-free row as it would go into the cart."""

    line: int
    name: str
    username: str
    number: str
    package: str
    monthly_net: Decimal


@dataclass
class CheckReport:
    ok: int
    failed: int
    skipped: int
    notices: list[str]
    errors: Table
    defaults: Table
    skips: Table
    to_cart: list[CartEntry] = field(default_factory=list)

    @property
    def monthly_net(self) -> Decimal:
        return sum((entry.monthly_net for entry in self.to_cart), Decimal("0.00"))

    @property
    def to_cart_shown(self) -> list[CartEntry]:
        return self.to_cart[:SHOWN]


def _cart_entries(run: ImportRun, names: dict[int, str]) -> list[CartEntry]:
    """What "In den Warenkorb" would add: names, usernames, numbers, packages, prices."""
    workplace_net = Package.workplace_product().monthly_net
    packages = {p.code: p for p in Package.objects.conference()}
    entries = []
    for row in run.result.get("rows", []):
        values = row.get("values")
        if values is None or row["errors"]:
            continue
        package = packages.get(values["package"] or "")
        number = values["number"]
        entries.append(
            CartEntry(
                line=row["line"],
                name=names.get(row["line"], ""),
                username=values["username"],
                number=format_national(number) if number else "",
                package=package.name if package else _("Kein Konferenzpaket"),
                monthly_net=workplace_net + (package.monthly_net if package else Decimal("0.00")),
            )
        )
    return entries


def check_report(run: ImportRun, sheet: Sheet) -> CheckReport:
    names = _names(sheet)
    errors, defaults, skips = Table(), Table(), Table()
    for row in run.result.get("rows", []):
        line, name = row["line"], names.get(row["line"], "")
        if "skip" in row:
            skips.add(Entry(line, name, "", skip_text(row, run)))
            continue
        _fill(errors, names, row)
        if not row["errors"]:
            for field_name, value in sorted(row["defaults"], key=lambda d: FIELDS.index(d[0])):
                defaults.add(Entry(line, name, column_of(field_name), value))
    result = run.result
    return CheckReport(
        ok=result.get("ok", 0),
        failed=result.get("failed", 0),
        skipped=result.get("skipped", 0),
        notices=list(result.get("notices", [])),
        errors=errors,
        defaults=defaults,
        skips=skips,
        to_cart=_cart_entries(run, names),
    )


@dataclass
class CartReport:
    added: int
    refused: Table
    skips: Table


def cart_report(run: ImportRun, sheet: Sheet) -> CartReport:
    names = _names(sheet)
    refused, skips = Table(), Table()
    for row in run.cart_result.get("rows", []):
        if "skip" in row:
            skips.add(Entry(row["line"], names.get(row["line"], ""), "", skip_text(row, run)))
        else:
            _fill(refused, names, row)
    return CartReport(added=run.cart_result.get("added", 0), refused=refused, skips=skips)


def error_messages(run: ImportRun) -> dict[int, list[str]]:
    """For the error list: per line its messages, each after its column (``Rufnummer: ...``)."""
    messages: dict[int, list[str]] = {}
    for row in run.result.get("rows", []):
        for name, message in row.get("errors", []):
            column = column_of(name)
            text = f"{column}: {message}" if column and name != GENERAL else message
            messages.setdefault(row["line"], []).append(text)
    return messages
