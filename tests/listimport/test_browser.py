"""The list import in a real browser: 20 rows, 3 faulty, the error list fixed, one order.

Each page is checked with axe-core (no serious or critical violation), and the console must
stay free of CSP violations and script errors.
"""

from __future__ import annotations

import io
import re

import pytest
from django.core import mail
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from notifications.models import Notification
from notifications.sms import LocmemSmsBackend
from tests.e2e.axe import assert_accessible
from tests.e2e.conftest import log_in_with_cookie
from tests.listimport.helpers import HEADER, xlsx_bytes
from tests.listimport.test_check import person
from workplaces.listimport.files import read_upload
from workplaces.listimport.service import run_check, sheet_to_json
from workplaces.models import ImportRun, Workplace

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FIRST = ["Anna", "Ben", "Cem", "Dora", "Emil", "Frida", "Gustav", "Hanna", "Ida", "Jonas"]
LAST = ["Schmidt", "Weber"]
#: Row index -> (column, bad value, fixed value)
FAULTS = {
    4: ("PLZ", "5311", "53113"),
    9: ("Mobilfunknummer", "0228 181234", "0170 7654321"),
    15: ("Benutzername", "Jörg.M", "joerg.m"),
}


def twenty_rows() -> list[list[str]]:
    rows = []
    for i in range(20):
        first, last = FIRST[i % 10], LAST[i // 10]
        rows.append(
            person(
                first_name=first,
                last_name=last,
                email=f"{first.lower()}.{last.lower()}@example.com",
                mobile="0170 1234567" if i % 3 == 0 else "",
                package=["", "Basic", "Plus", "Premium"][i % 4],
            )
        )
    for index, (column, bad, _fixed) in FAULTS.items():
        rows[index][HEADER.index(column)] = bad
    return rows


def upload(page: Page, trunk, path) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text("Arbeitsplätze importieren")
    assert_accessible(page, "Arbeitsplätze importieren")
    page.get_by_label(re.compile(r"^Liste \(Excel-Arbeitsmappe")).set_input_files(str(path))
    page.get_by_role("button", name="Prüfen").click()
    expect(page.get_by_role("heading", name="Ergebnis der Prüfung")).to_be_visible()


def fix(data: bytes) -> bytes:
    workbook = load_workbook(io.BytesIO(data))
    sheet = workbook.active
    header = [c.value for c in sheet[1]]
    for index, (column, _bad, fixed) in FAULTS.items():
        sheet.cell(row=index + 2, column=header.index(column) + 1, value=fixed)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_twenty_rows_with_three_faulty_ones_fixed_and_ordered(
    page, console, alice, trunk, live_server, tmp_path
):
    alice.email = "alice@example.com"
    alice.save()
    first_file = tmp_path / "mitarbeiter.xlsx"
    first_file.write_bytes(xlsx_bytes([HEADER, *twenty_rows()]))
    log_in_with_cookie(page, alice, live_server)

    page.goto("/sip-trunk/arbeitsplaetze/")
    assert_accessible(page, "SIP-Trunk Arbeitsplätze verwalten")
    page.get_by_role("link", name="Arbeitsplätze importieren (Zentrale Bonn)").click()
    upload(page, trunk, first_file)
    expect(page.get_by_text("17 Zeilen fehlerfrei, 3 Zeilen mit Fehlern")).to_be_visible()
    errors = page.get_by_role("table", name="Zeilen mit Fehlern")
    expect(errors.get_by_role("row")).to_have_count(4)
    expect(errors).to_contain_text("Zeile 6")
    expect(errors).to_contain_text("Das ist keine Mobilfunknummer")
    assert_accessible(page, "Ergebnis der Prüfung")

    with page.expect_download() as download:
        page.get_by_role("link", name="Fehlerliste herunterladen (Excel, .xlsx)").click()
    error_list = download.value.path().read_bytes()
    assert [r.values["first_name"] for r in read_upload("x.xlsx", error_list).rows][:3] == [
        "Anna",
        "Ben",
        "Cem",
    ]

    page.get_by_role("radio", name="Nur die fehlerfreien Zeilen").check()
    page.get_by_role("button", name="In den Warenkorb").click()
    expect(page.get_by_text("17 Arbeitsplätze liegen jetzt in Ihrem Warenkorb.")).to_be_visible()
    assert_accessible(page, "In den Warenkorb gelegt")

    fixed_file = tmp_path / "fehlerliste-korrigiert.xlsx"
    fixed_file.write_bytes(fix(error_list))
    page.get_by_role("link", name="Eine weitere Liste hochladen").click()
    upload(page, trunk, fixed_file)
    expect(page.get_by_text("3 Zeilen fehlerfrei, 0 Zeilen mit Fehlern")).to_be_visible()
    expect(page.get_by_text("17 Zeilen werden übersprungen")).to_be_visible()
    page.get_by_role("radio", name=re.compile(r"^Alle Zeilen")).check()
    page.get_by_role("button", name="In den Warenkorb").click()
    expect(page.get_by_text("3 Arbeitsplätze liegen jetzt in Ihrem Warenkorb.")).to_be_visible()

    page.get_by_role("link", name="Zum Warenkorb").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Warenkorb")
    expect(page.locator("table tbody tr")).to_have_count(20)
    assert_accessible(page, "Warenkorb")
    page.get_by_role("button", name="Kostenpflichtig bestellen").click()
    expect(page).to_have_url(re.compile(r"/sip-trunk/auftraege/"))

    active = Workplace.objects.filter(trunk=trunk, status=Workplace.Status.ACTIVE)
    assert active.count() == 20
    assert active.filter(username="joerg.m", first_name="Frida").exists()
    kinds = list(Notification.objects.values_list("kind", "status"))
    assert len(kinds) == 41
    assert {status for _kind, status in kinds} == {Notification.Status.SENT}
    welcome = [k for k, _s in kinds if k == Notification.Kind.WELCOME]
    assert len(welcome) == 20
    assert [k for k, _s in kinds].count(Notification.Kind.ORDER_CONFIRMATION) == 1
    sms = active.exclude(mobile="").count()
    assert len(LocmemSmsBackend.outbox) == sms == 7
    assert len(mail.outbox) == 20 + (20 - sms) + 1
    console.assert_clean()


def test_the_progress_bar_updates_itself_until_the_result_shows(
    page, console, alice, trunk, live_server
):
    sheet = read_upload("x.csv", ";".join(HEADER).encode() + b"\r\n" + ";".join(person()).encode())
    run = ImportRun.objects.create(
        customer=alice.customer,
        trunk=trunk,
        created_by=alice,
        file_name="liste.csv",
        sheet=sheet_to_json(sheet),
        status=ImportRun.Status.CHECKING,
        done=0,
        total=1,
    )
    log_in_with_cookie(page, alice, live_server)
    page.goto(f"/sip-trunk/arbeitsplaetze/import/{trunk.code}/{run.code}/")
    expect(page.get_by_role("progressbar", name="Fortschritt")).to_be_visible()
    assert_accessible(page, "Fortschritt")
    run_check(run_id=run.pk)
    expect(page.get_by_text("1 Zeile fehlerfrei, 0 Zeilen mit Fehlern")).to_be_visible()
    console.assert_clean()
