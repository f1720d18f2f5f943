"""The import pages: upload, progress, result, error list, cart, re-upload, tenancy, fuzz."""

from __future__ import annotations

import datetime as dt
import io
import re
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from notifications.models import Notification
from orders.models import Order
from orders.services import cart_of
from tests.conftest import client_for
from tests.listimport.helpers import HEADER, csv_bytes, repeated_string_xlsx, xlsx_bytes
from tests.listimport.test_check import person
from tests.wizard_helpers import complete_draft
from workplaces.listimport.files import MAX_BYTES, read_upload
from workplaces.models import ImportRun, SetupDraft, Workplace

pytestmark = pytest.mark.django_db

ANNA = person(first_name="Anna", last_name="Schmidt", email="anna@example.com", package="Plus")
BAD_POSTCODE = person(first_name="Ben", last_name="Bauer", email="ben@example.com", postcode="1")
CEM = person(first_name="Cem", last_name="Yılmaz", email="cem@example.com", mobile="0170 1234567")


class Importer:
    """Alice (or another admin) uploading lists, with the on-commit tasks run in-process."""

    def __init__(self, client, trunk, capture) -> None:
        self.client, self.trunk, self.capture = client, trunk, capture

    @property
    def upload_url(self) -> str:
        return reverse("listimport:upload", args=[self.trunk.code])

    def post(self, data: bytes, name: str = "liste.csv"):
        with self.capture(execute=True):
            return self.client.post(self.upload_url, {"file": SimpleUploadedFile(name, data)})

    def upload(self, *rows: list[str], name: str = "liste.csv", data: bytes | None = None):
        response = self.post(data if data is not None else csv_bytes([HEADER, *rows]), name)
        assert response.status_code == 302, response.content.decode()[-3000:]
        return ImportRun.objects.get(code=response["Location"].rstrip("/").rsplit("/", 1)[1])

    def page(self, run: ImportRun) -> str:
        response = self.client.get(run_url(run))
        assert response.status_code == 200
        return text(response)

    def cart(self, run: ImportRun, mode: str = "ok"):
        with self.capture(execute=True):
            return self.client.post(run_url(run, "warenkorb/"), {"mode": mode})


def run_url(run: ImportRun, tail: str = "") -> str:
    return reverse("listimport:run", args=[run.trunk.code, run.code]) + tail


def text(response) -> str:
    """The page's main content as text, with tags and runs of spaces collapsed."""
    page = response.content.decode()
    main = page.split('<main id="main"', 1)[1].split("</main>", 1)[0]
    return " ".join(re.sub(r"<[^>]+>", " ", main).split())


@pytest.fixture
def alice_imports(alice_client, trunk, django_capture_on_commit_callbacks) -> Importer:
    return Importer(alice_client, trunk, django_capture_on_commit_callbacks)


# --- entry, template, upload ----------------------------------------------------------------


def test_the_overview_links_the_trunk_to_its_import_page(alice_client, trunk):
    page = alice_client.get(reverse("manage:overview")).content.decode()
    url = reverse("listimport:upload", args=[trunk.code])
    assert re.search(rf'<a href="{url}">Arbeitsplätze importieren', page)


def test_the_import_page_offers_the_template_and_a_labelled_file_field(alice_client, trunk):
    response = alice_client.get(reverse("listimport:upload", args=[trunk.code]))
    page = response.content.decode()
    assert "Vorlage herunterladen (Excel, .xlsx)" in page
    assert "Vorlage herunterladen (CSV)" in page
    assert re.search(r'<label for="id_file">Liste \(Excel-Arbeitsmappe', page)
    assert re.search(
        r'<input type="file" name="file"[^>]*aria-describedby="id_file_helptext"', page
    )
    assert ">Prüfen</button>" in page


@pytest.mark.parametrize(
    ("name", "kind"), [("listimport:template_xlsx", "xlsx"), ("listimport:template_csv", "csv")]
)
def test_the_templates_carry_the_column_contract(alice_client, packages, name, kind):
    response = alice_client.get(reverse(name))
    assert response.status_code == 200
    assert (
        f"filename*=utf-8''Vorlage%20Arbeitspl%C3%A4tze.{kind}" in response["Content-Disposition"]
    )
    sheet = read_upload(f"vorlage.{kind}", response.content)
    assert sheet.header == HEADER
    assert sheet.rows == []


def test_a_checked_list_shows_the_summary_each_error_and_the_defaults(alice_imports):
    run = alice_imports.upload(ANNA, BAD_POSTCODE, CEM)
    page = alice_imports.page(run)
    assert "2 Zeilen fehlerfrei, 1 Zeile mit Fehlern" in page
    assert (
        "Zeile 3 Ben Bauer PLZ Bitte geben Sie eine deutsche Postleitzahl mit fünf Ziffern ein "
        "(z. B. 53113)."
    ) in page
    assert "Zeile 2 Anna Schmidt Benutzername anna.schmidt" in page
    assert "Zeile 2 Anna Schmidt Rufnummer 0228 181234-10" in page
    assert "Zeile 4 Cem Yılmaz Rufnummer 0228 181234-11" in page
    assert "Zeile 2 Anna Schmidt Mobilfunknummer ohne Mobilfunknummer: Passwort per E-Mail" in page
    assert "Fehlerliste herunterladen (Excel, .xlsx)" in page
    assert not SetupDraft.objects.exists()


def test_an_xlsx_list_is_checked_like_a_csv(alice_imports):
    run = alice_imports.upload(name="liste.xlsx", data=xlsx_bytes([HEADER, ANNA, BAD_POSTCODE]))
    assert "1 Zeile fehlerfrei, 1 Zeile mit Fehlern" in alice_imports.page(run)


#: Hostile to a reader: one shared string, 30,000 characters, named by 400 cells (a few KB).
EXPANDING = repeated_string_xlsx("x" * 30_000, 400, header=HEADER, row=ANNA)


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("leer.csv", b"", "Die Datei ist leer."),
        ("bild.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 20, "weder eine CSV-Datei noch eine Excel"),
        ("gross.csv", b"x" * (MAX_BYTES + 1), "Die Datei ist größer als 5 MB."),
        ("liste.xlsx", b"PK\x03\x04" + b"\0" * 40, "Die Excel-Datei ist beschädigt"),
        ("liste.xlsx", EXPANDING, "Die Excel-Datei enthält zu viel Text"),
    ],
)
def test_a_file_that_fails_the_cheap_checks_gets_one_message_and_nothing_happens(
    alice_imports, name, data, message
):
    response = alice_imports.post(data, name)
    assert response.status_code == 200
    page = response.content.decode()
    errors = re.findall(r'<ul class="errorlist" id="id_file_error">(.*?)</ul>', page, re.S)
    assert len(errors) == 1 and message in errors[0]
    assert re.search(r'<input type="file"[^>]*aria-invalid="true"', page)
    assert not ImportRun.objects.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (csv_bytes([HEADER]), "Die Datei enthält nur die Kopfzeile"),
        (csv_bytes([["Name", "Telefon"], ["A", "1"]]), "keine Kopfzeile mit bekannten"),
        (csv_bytes([HEADER[1:], ANNA[1:]]), "fehlt die Pflichtspalte „Vorname“"),
    ],
)
def test_a_file_whose_rows_cannot_be_imported_gets_its_message_on_the_run_page(
    alice_imports, data, message
):
    run = alice_imports.upload(data=data)
    run.refresh_from_db()
    assert run.status == ImportRun.Status.FAILED
    assert run.upload is None and run.sheet == {}
    page = alice_imports.page(run)
    assert "Die Datei kann nicht importiert werden:" in page and message in page
    assert "Eine weitere Liste hochladen" in page
    assert not SetupDraft.objects.exists()


def test_the_request_keeps_the_upload_and_the_task_reads_it(alice_client, trunk):
    url = reverse("listimport:upload", args=[trunk.code])
    data = csv_bytes([HEADER, ANNA])
    response = alice_client.post(url, {"file": SimpleUploadedFile("liste.csv", data)})
    assert response.status_code == 302
    run = ImportRun.objects.get()  # no on-commit callbacks here: the task has not run
    assert (run.status, bytes(run.upload), run.sheet, run.total) == ("queued", data, {}, 0)
    page = alice_client.get(response["Location"]).content.decode()
    assert "Die Datei wird gelesen." in page
    from workplaces.listimport.service import run_check

    run_check(run_id=run.pk)
    run.refresh_from_db()
    assert (run.status, run.upload, run.total) == ("checked", None, 1)
    assert run.sheet["rows"][0][1][:2] == ["Anna", "Schmidt"]


def test_posting_without_a_file_asks_for_one(alice_client, trunk):
    response = alice_client.post(reverse("listimport:upload", args=[trunk.code]), {})
    assert "Bitte wählen Sie eine Datei aus." in response.content.decode()


# --- progress ---------------------------------------------------------------------------


def unfinished_run(alice, trunk) -> ImportRun:
    sheet = read_upload("liste.csv", csv_bytes([HEADER, ANNA]))
    from workplaces.listimport.service import sheet_to_json

    return ImportRun.objects.create(
        customer=alice.customer,
        trunk=trunk,
        created_by=alice,
        file_name="liste.csv",
        sheet=sheet_to_json(sheet),
        status=ImportRun.Status.CHECKING,
        done=2000,
        total=5000,
    )


def test_a_running_check_shows_a_progress_bar_that_updates_itself(alice_client, alice, trunk):
    run = unfinished_run(alice, trunk)
    page = alice_client.get(run_url(run)).content.decode()
    assert '<progress class="run-progress" max="5000" value="2000"' in page
    assert "2000 von 5000 Zeilen (40 %)" in page
    assert f'hx-get="{run_url(run)}" hx-trigger="every 1s" hx-swap="outerHTML"' in page
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in page


def test_htmx_polls_only_the_status_part_and_the_result_stops_the_polling(
    alice_client, alice, trunk
):
    run = unfinished_run(alice, trunk)
    part = alice_client.get(run_url(run), headers={"HX-Request": "true"}).content.decode()
    assert part.lstrip().startswith('<div id="run-status"') and "<html" not in part
    from workplaces.listimport.service import run_check

    ImportRun.objects.filter(pk=run.pk).update(status=ImportRun.Status.QUEUED)
    run_check(run_id=run.pk)
    part = alice_client.get(run_url(run), headers={"HX-Request": "true"}).content.decode()
    assert "1 Zeile fehlerfrei, 0 Zeilen mit Fehlern" in part
    assert "hx-trigger" not in part
    page = alice_client.get(run_url(run)).content.decode()
    assert "http-equiv" not in page


@pytest.mark.parametrize("status", ["queued", "checking", "adding"])
def test_polling_a_working_run_never_loads_its_rows_or_results(alice_client, alice, trunk, status):
    run = unfinished_run(alice, trunk)
    ImportRun.objects.filter(pk=run.pk).update(status=status, upload=b"x" * 1000)
    with CaptureQueriesContext(connection) as queries:
        response = alice_client.get(run_url(run), headers={"HX-Request": "true"})
    assert response.status_code == 200 and "hx-trigger" in response.content.decode()
    selects = [q["sql"] for q in queries if "workplaces_importrun" in q["sql"]]
    assert selects
    for column in ("upload", "sheet", "result", "cart_result"):
        assert not any(f'"workplaces_importrun"."{column}"' in sql for sql in selects), column


# --- error list ---------------------------------------------------------------------------


FORMULA = person(first_name='=HYPERLINK("http://x")', last_name="Formel", email="f@example.com")


def test_the_error_list_as_csv_has_the_rows_and_a_column_fehler(alice_imports, alice_client):
    run = alice_imports.upload(ANNA, BAD_POSTCODE, FORMULA)
    response = alice_client.get(run_url(run, "fehlerliste.csv"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="Fehlerliste liste.csv"'
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0] == ";".join([*HEADER, "Fehler"])
    assert lines[2].startswith("Ben;Bauer;")
    assert lines[2].endswith(
        ";PLZ: Bitte geben Sie eine deutsche Postleitzahl mit fünf Ziffern ein (z. B. 53113)."
    )
    assert lines[1].endswith(";")  # Anna has no error
    # Never a formula when Excel opens it: the cell is quoted; the name is refused as such.
    assert lines[3].startswith('"\'=HYPERLINK(""http://x"")";Formel;')
    assert "Vorname: Bitte nur Buchstaben" in lines[3]


def test_the_error_list_as_xlsx_keeps_formula_like_cells_as_text(alice_imports, alice_client):
    run = alice_imports.upload(ANNA, FORMULA)
    response = alice_client.get(run_url(run, "fehlerliste.xlsx"))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    cell = sheet["A3"]
    assert cell.value == '=HYPERLINK("http://x")'
    assert cell.data_type == "s" and cell.quotePrefix
    assert sheet.cell(row=1, column=len(HEADER) + 1).value == "Fehler"


def test_the_fixed_error_list_can_be_uploaded_again(alice_imports, alice_client):
    run = alice_imports.upload(ANNA, BAD_POSTCODE)
    data = alice_client.get(run_url(run, "fehlerliste.csv")).content
    fixed = data.replace(
        b"Ben;Bauer;Friedrich-Ebert-Allee;140;1;", b"Ben;Bauer;Friedrich-Ebert-Allee;140;53113;"
    )
    again = alice_imports.upload(data=fixed)
    assert "2 Zeilen fehlerfrei, 0 Zeilen mit Fehlern" in alice_imports.page(again)


# --- cart -------------------------------------------------------------------------------


def test_only_the_fault_free_rows_go_into_the_cart_reserved_as_checked(alice_imports, alice):
    run = alice_imports.upload(ANNA, BAD_POSTCODE, CEM)
    response = alice_imports.cart(run, "ok")
    assert response.status_code == 302
    drafts = SetupDraft.objects.filter(created_by=alice, status=SetupDraft.Status.IN_CART)
    got = {
        (d.username, d.number.extension, d.package.code if d.package else None, d.mobile)
        for d in drafts
    }
    assert got == {
        ("anna.schmidt", "10", "konferenz-plus", ""),
        ("cem.yilmaz", "11", None, "+491701234567"),
    }
    page = alice_imports.page(run)
    assert "2 Arbeitsplätze liegen jetzt in Ihrem Warenkorb." in page
    assert "In den Warenkorb</button>" not in page


def test_all_rows_are_refused_while_a_row_has_an_error(alice_imports):
    run = alice_imports.upload(ANNA, BAD_POSTCODE)
    response = alice_imports.cart(run, "all")
    assert response.status_code == 200
    page = response.content.decode()
    assert re.search(r'<fieldset aria-describedby="id_mode_error">', page)
    assert "1 Zeile hat Fehler. Korrigieren Sie die Datei" in page
    assert not SetupDraft.objects.exists()


def test_all_rows_go_into_the_cart_when_none_has_an_error(alice_imports):
    run = alice_imports.upload(ANNA, CEM)
    assert alice_imports.cart(run, "all").status_code == 302
    assert SetupDraft.objects.filter(status=SetupDraft.Status.IN_CART).count() == 2


def test_a_second_click_adds_nobody_twice(alice_imports):
    run = alice_imports.upload(ANNA, CEM)
    alice_imports.cart(run)
    response = alice_imports.cart(run)
    assert response.status_code == 302
    assert response["Location"] == run_url(run)
    assert SetupDraft.objects.count() == 2


def test_rows_taken_since_the_check_are_reported_and_the_others_added(
    alice_imports, bob_client, trunk
):
    run = alice_imports.upload(ANNA, CEM, person(first_name="Dora", email="d@example.com"))
    # Meanwhile bob's wizard takes Anna's suggested username and Cem's default number.
    complete_draft(bob_client, trunk, username="anna.schmidt", number="+4922818123411")
    alice_imports.cart(run)
    page = alice_imports.page(run)
    assert "1 Arbeitsplatz liegt jetzt in Ihrem Warenkorb." in page
    assert (
        "Zeile 2 Anna Schmidt Benutzername Der Benutzername „anna.schmidt“ ist bereits vergeben."
        in page
    )
    assert "Zeile 3 Cem Yılmaz Rufnummer Die Rufnummer 0228 181234-11 ist bereits vergeben." in page
    assert SetupDraft.objects.filter(username="dora.mueller").exists()
    assert not SetupDraft.objects.filter(
        first_name__in=["Anna", "Cem"], created_by__username="alice"
    ).exists()


def test_uploading_the_same_list_again_adds_nobody_twice(alice_imports, alice, bob_client, trunk):
    first = alice_imports.upload(ANNA, CEM)
    alice_imports.cart(first)
    again = alice_imports.upload(ANNA, CEM, person(first_name="Dora", email="d@example.com"))
    page = alice_imports.page(again)
    assert "1 Zeile fehlerfrei, 0 Zeilen mit Fehlern" in page
    assert "2 Zeilen werden übersprungen" in page
    assert "Zeile 2 Anna Schmidt bereits im Warenkorb" in page
    alice_imports.cart(again)
    assert SetupDraft.objects.filter(status=SetupDraft.Status.IN_CART).count() == 3
    with alice_imports.capture(execute=True):
        response = alice_imports.client.post(
            reverse("orders:place"), {"token": cart_of(alice).token}
        )
    assert response.status_code == 302
    third = alice_imports.upload(ANNA, CEM)
    assert "Zeile 2 Anna Schmidt bereits eingerichtet" in alice_imports.page(third)


def test_a_colleagues_cart_counts_as_already_there(
    alice_imports, bob, trunk, django_capture_on_commit_callbacks
):
    bob_imports = Importer(client_for(bob), trunk, django_capture_on_commit_callbacks)
    bob_imports.cart(bob_imports.upload(ANNA))
    run = alice_imports.upload(ANNA)
    assert "Zeile 2 Anna Schmidt bereits im Warenkorb von Bob" in alice_imports.page(run)


def test_one_order_sets_up_every_imported_workplace_with_its_messages(
    alice_imports, alice, alice_client
):
    alice.email = "alice@example.com"
    alice.save()
    run = alice_imports.upload(ANNA, CEM, person(first_name="Dora", email="d@example.com"))
    alice_imports.cart(run)
    with alice_imports.capture(execute=True):
        response = alice_client.post(reverse("orders:place"), {"token": cart_of(alice).token})
    assert response.status_code == 302
    order = Order.objects.get()
    assert order.items.count() == 3
    assert Workplace.objects.filter(status=Workplace.Status.ACTIVE).count() == 3
    kinds = sorted(Notification.objects.values_list("kind", flat=True))
    assert kinds.count(Notification.Kind.WELCOME) == 3
    assert kinds.count(Notification.Kind.PASSWORD_EMAIL) == 2
    assert kinds.count(Notification.Kind.PASSWORD_SMS) == 1
    assert kinds.count(Notification.Kind.ORDER_CONFIRMATION) == 1


def test_runs_older_than_a_day_are_purged_on_the_next_upload(alice_imports):
    old = alice_imports.upload(ANNA)
    long_ago = timezone.now() - ImportRun.KEEP - dt.timedelta(minutes=1)
    ImportRun.objects.filter(pk=old.pk).update(created_at=long_ago)
    alice_imports.upload(CEM)
    assert not ImportRun.objects.filter(pk=old.pk).exists()
    assert ImportRun.objects.count() == 1


# --- tenancy ------------------------------------------------------------------------------


def run_requests(run: ImportRun) -> list[tuple[str, str, dict]]:
    return [
        ("get", run_url(run), {}),
        ("get", run_url(run, "fehlerliste.csv"), {}),
        ("get", run_url(run, "fehlerliste.xlsx"), {}),
        ("post", run_url(run, "warenkorb/"), {"mode": "ok"}),
    ]


def test_another_customers_admin_gets_404_for_the_trunk_and_its_runs(
    alice_imports, charlie_client, other_trunk, trunk
):
    run = alice_imports.upload(ANNA)
    url = reverse("listimport:upload", args=[trunk.code])
    assert charlie_client.get(url).status_code == 404
    data = {"file": SimpleUploadedFile("liste.csv", csv_bytes([HEADER, ANNA]))}
    assert charlie_client.post(url, data).status_code == 404
    for method, url, data in run_requests(run):
        assert getattr(charlie_client, method)(url, data).status_code == 404, url
    # The run under charlie's own trunk code is still alice's run: 404 too.
    foreign = reverse("listimport:run", args=[other_trunk.code, run.code])
    assert charlie_client.get(foreign).status_code == 404
    assert ImportRun.objects.count() == 1
    assert not SetupDraft.objects.exists()


def test_a_colleague_gets_404_for_a_personal_run(alice_imports, bob_client):
    run = alice_imports.upload(ANNA)
    for method, url, data in run_requests(run):
        assert getattr(bob_client, method)(url, data).status_code == 404, url
    assert not SetupDraft.objects.exists()


@pytest.mark.parametrize("code", ["not-a-uuid", "0", str(uuid.UUID(int=0))])
def test_codes_that_name_nothing_give_404(alice_client, trunk, code):
    assert alice_client.get(reverse("listimport:upload", args=[code])).status_code == 404
    url = reverse("listimport:run", args=[trunk.code, code])
    assert alice_client.get(url).status_code == 404


def test_anonymous_visitors_are_sent_to_the_login_page(client, trunk):
    response = client.get(reverse("listimport:upload", args=[trunk.code]))
    assert response.status_code == 302
    assert response["Location"].startswith("/anmelden/")


# --- fuzz: no upload gives a 500 ----------------------------------------------------------

CELL = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
CSVISH = st.lists(st.lists(CELL, min_size=1, max_size=14), min_size=1, max_size=6)
#: A workbook cannot hold control characters at all.
XLSX_CELL = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=12)
XLSXISH = st.lists(st.lists(XLSX_CELL, min_size=1, max_size=14), min_size=1, max_size=6)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    data=st.one_of(
        st.binary(max_size=300),
        CSVISH.map(lambda rows: csv_bytes([HEADER, *rows])),
        CSVISH.map(lambda rows: csv_bytes([HEADER[:6], *rows], delimiter=",")),
        XLSXISH.map(lambda rows: xlsx_bytes([HEADER, *rows])),
    ),
    name=st.sampled_from(["liste.csv", "liste.xlsx", "liste", "ä ö.txt", "x" * 300 + ".csv"]),
)
def test_no_upload_gives_a_server_error(alice_imports, data, name):
    response = alice_imports.post(data, name)
    assert response.status_code in (200, 302)
    if response.status_code == 302:
        follow = alice_imports.client.get(response["Location"])
        assert follow.status_code == 200
        checked = ImportRun.objects.get(code=response["Location"].rstrip("/").rsplit("/", 1)[1])
        for tail in ("fehlerliste.csv", "fehlerliste.xlsx"):
            status = alice_imports.client.get(response["Location"] + tail).status_code
            # A file refused while its rows are read has no check and so no error list.
            assert status == (200 if checked.result else 404)


def test_a_nul_character_in_a_cell_is_a_message_on_any_database(alice_imports):
    # Excel's escape _x0000_ is read as NUL, which PostgreSQL's JSON cannot hold.
    row = person(first_name="Jö_x0000_rg")
    run = alice_imports.upload(name="liste.xlsx", data=xlsx_bytes([HEADER, row]))
    page = alice_imports.page(run)
    assert "0 Zeilen fehlerfrei, 1 Zeile mit Fehlern" in page
    assert "Zeile 2 Jö\ufffdrg Müller Vorname" in page
