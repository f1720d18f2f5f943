"""Import and export round-trip (issue 16, item 9): the overview's export in the template's
columns, "Alle Zeilen" only without errors, and what goes into the cart."""

from __future__ import annotations

import io
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from orders.models import Package
from tests.listimport.test_pages import ANNA, BAD_POSTCODE, CEM, alice_imports  # noqa: F401
from tests.manage_helpers import order_new_workplace
from workplaces.listimport.files import read_upload
from workplaces.listimport.template import template_xlsx

pytestmark = pytest.mark.django_db


@pytest.fixture
def set_up(alice, alice_client, trunk):
    """Two workplaces on Zentrale Bonn, made through the wizard and an order."""
    joerg = order_new_workplace(alice_client, alice, trunk, username="joerg.mueller")
    order_new_workplace(
        alice_client, alice, trunk, username="erika.schulz", first_name="Erika", package="none"
    )
    return joerg


def test_the_export_has_the_template_columns_and_imports_again_as_already_set_up(
    set_up,
    alice_client,
    trunk,
    alice_imports,  # noqa: F811
):
    response = alice_client.get(reverse("manage:export_list"), {"trunk": trunk.code})
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('.xlsx"')
    data = response.content
    template = load_workbook(io.BytesIO(template_xlsx(Package.objects.conference())))
    exported = load_workbook(io.BytesIO(data))
    assert [c.value for c in exported["Arbeitsplätze"][1]] == [
        c.value for c in template["Arbeitsplätze"][1]
    ]
    sheet = read_upload("export.xlsx", data)
    by_username = {row.values["username"]: row.values for row in sheet.rows}
    assert set(by_username) == {"joerg.mueller", "erika.schulz"}
    joerg = by_username["joerg.mueller"]
    assert joerg["first_name"] == "Jörg" and joerg["postcode"] == set_up.postcode
    assert joerg["number"] == set_up.number.national and joerg["package"] == "Plus"
    assert joerg["mobile"] == "0170 1234567"
    assert by_username["erika.schulz"]["package"] == "Kein"

    run = alice_imports.upload(data=data, name="export.xlsx")
    assert run.result["skipped"] == 2 and run.result["failed"] == 0
    page = alice_imports.page(run)
    assert "2 Zeilen werden übersprungen" in page and "bereits eingerichtet" in page


def test_all_rows_cannot_be_chosen_while_a_row_has_errors(alice_imports):  # noqa: F811
    run = alice_imports.upload(ANNA, BAD_POSTCODE)
    page = alice_imports.client.get(
        reverse("listimport:run", args=[run.trunk.code, run.code])
    ).content.decode()
    all_rows = re.search(r'<input type="radio" name="mode" value="all"[^>]*>', page).group(0)
    assert "disabled" in all_rows
    only_ok = re.search(r'<input type="radio" name="mode" value="ok"[^>]*>', page).group(0)
    assert "disabled" not in only_ok


def test_all_rows_can_be_chosen_when_no_row_has_errors(alice_imports):  # noqa: F811
    run = alice_imports.upload(ANNA, CEM)
    page = alice_imports.client.get(
        reverse("listimport:run", args=[run.trunk.code, run.code])
    ).content.decode()
    all_rows = re.search(r'<input type="radio" name="mode" value="all"[^>]*>', page).group(0)
    assert "disabled" not in all_rows


def test_the_result_lists_what_goes_into_the_cart_with_the_monthly_sum(alice_imports):  # noqa: F811
    run = alice_imports.upload(ANNA, CEM, BAD_POSTCODE)
    page = alice_imports.page(run)
    table = page.split("Das kommt in den Warenkorb: 2 SIP-Trunk Arbeitsplätze", 1)[1]
    table = table.split("Summe monatlich netto", 2)
    rows = table[0]
    assert "Anna Schmidt anna.schmidt 0228 18123410 Konferenz Plus 16,80 €" in rows
    assert "Cem Yılmaz" in rows and "0228 18123411 Kein Konferenzpaket 6,90 €" in rows
    assert "Ben Bauer" not in rows
    assert table[1].strip().startswith("23,70 €")
