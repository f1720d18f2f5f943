"""Managing workplaces after setup: dashboard, overview and export, numbers, detail, edit,
reset. Package changes and deletions are orders: their pages live in ``orders.changes``."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from catalog.parsing import NO_PACKAGE_LABEL, package_short_name
from portal import links, policy
from portal.access import (
    actor_of,
    changes_required,
    client_ip,
    customer_admin_required,
    customer_of,
)
from portal.errors import Refusal
from portal.paging import KeysFirstPaginator
from portal.spreadsheet import excel_safe_row
from provisioning import services as provisioning
from trunks.access import get_trunk_for
from trunks.forms import NumberSearchForm
from trunks.models import SipTrunk
from trunks.numbers import format_national
from trunks.services import numbers_paginator
from workplaces.access import get_workplace_for, refuse_change
from workplaces.fields import show
from workplaces.listimport.template import template_xlsx
from workplaces.manage.forms import OverviewFilterForm, WorkplaceEditForm
from workplaces.models import Workplace
from workplaces.services import credentials, lifecycle, phone_setup, quota, setup
from workplaces.services.holders import number_holders

NUMBERS_PER_PAGE = 50


@customer_admin_required
def dashboard(request: HttpRequest) -> HttpResponse:
    trunks = quota.trunk_overview(customer_of(request), actor=actor_of(request))
    return render(request, "workplaces/manage/dashboard.html", {"trunks": trunks})


@customer_admin_required
def trunk_numbers(request: HttpRequest, code: str) -> HttpResponse:
    """A trunk's numbers, searchable, with who holds each."""
    trunk = get_trunk_for(request, code)
    form = NumberSearchForm(request.GET or None)
    query, only_free = "", False
    if form.is_valid():
        query, only_free = form.cleaned_data["q"], form.cleaned_data["free"]
    paginator = numbers_paginator(trunk, query, only_free=only_free, per_page=NUMBERS_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    holders = number_holders(page.object_list)
    rows = [(number, holders.get(number.pk)) for number in page.object_list]
    template = "workplaces/manage/numbers.html"
    if request.htmx:
        template += "#results"
    context = {"trunk": trunk, "form": form, "page": page, "rows": rows}
    return render(request, template, context)


#: The overview's scope that covers every trunk of the customer.
ALL_TRUNKS = "alle"
#: Where the session keeps the overview's last scope (a trunk's code or ALL_TRUNKS).
SCOPE_KEY = "manage_overview_trunk"


@dataclass
class Scope:
    """Which of the customer's trunks the overview (and its exports) shows."""

    trunks: list  # the customer's trunks
    trunk: SipTrunk | None  # the one trunk shown, or None for all (or none at all)

    @property
    def all(self) -> bool:
        return self.trunk is None and len(self.trunks) > 1

    @property
    def code(self) -> str:
        return ALL_TRUNKS if self.trunk is None else str(self.trunk.code)

    @property
    def shown(self) -> list:
        return self.trunks if self.trunk is None else [self.trunk]

    def filename(self, suffix: str) -> str:
        name = self.trunk.name if self.trunk else ("alle" if self.trunks else "leer")
        return _ascii(f"arbeitsplaetze-{name}-{timezone.localdate():%Y-%m-%d}.{suffix}")


def _scope(request: HttpRequest) -> Scope:
    """The trunk asked for (``?trunk=<code>`` or ``?trunk=alle``), else the one chosen last
    (kept in the session), else all of them; a customer with one trunk always sees that one.

    The trunks without their usage: counting a trunk's numbers and places reads every row,
    and neither the overview nor its exports show them."""
    customer_trunks = SipTrunk.objects.filter(customer=customer_of(request))
    trunks = list(policy.visible(actor_of(request), customer_trunks).order_by("name"))
    if not trunks:
        return Scope(trunks, None)
    code = request.GET.get("trunk")
    chosen = get_trunk_for(request, code) if code and code != ALL_TRUNKS else None
    if len(trunks) == 1:
        return Scope(trunks, trunks[0])
    if chosen is not None:
        trunk = next(t for t in trunks if t.pk == chosen.pk)
    elif code == ALL_TRUNKS:
        trunk = None
    else:
        remembered = request.session.get(SCOPE_KEY)
        trunk = next((t for t in trunks if str(t.code) == remembered), None)
    scope = Scope(trunks, trunk)
    if code and request.session.get(SCOPE_KEY) != scope.code:
        request.session[SCOPE_KEY] = scope.code  # written only when it changes
    return scope


def _rows(scope: Scope, filters: dict):
    if not scope.trunks:
        return Workplace.objects.none()
    return lifecycle.workplaces_of_trunks(
        scope.shown, filters["query"], status=filters["status"], package=filters["package"]
    )


@customer_admin_required
def overview(request: HttpRequest) -> HttpResponse:
    """SIP-Trunk Arbeitsplätze verwalten: one trunk or all, searchable, filtered, paged."""
    scope = _scope(request)
    form = OverviewFilterForm(request.GET or None, packages=setup.conference_packages())
    filters = form.filters()
    page = None
    if scope.trunks:
        page = KeysFirstPaginator(_rows(scope, filters), filters["per_page"]).get_page(
            request.GET.get("page")
        )
    # The exports take the overview's filters and its scope (remembered or asked for).
    export_query = request.GET.copy()
    export_query.pop("page", None)
    export_query["trunk"] = scope.code
    context = {
        "trunks": scope.trunks,
        "trunk": scope.trunk,
        "scope": scope,
        "all_trunks": ALL_TRUNKS,
        "page": page,
        "form": form,
        "filtered": any(filters[k] for k in ("query", "status", "package")),
        "export_query": export_query.urlencode(),
        "drafts": setup.live_drafts_of(request.user),
    }
    return render(request, "workplaces/manage/overview.html", context)


#: Rows the CSV export reads from the database and writes out at a time: memory stays
#: at one chunk whatever the number of rows.
EXPORT_CHUNK = 2000


def _csv_chunks(rows, header: list[str], labels: dict[str, str], with_trunk: bool):
    """The CSV text in pieces of :data:`EXPORT_CHUNK` rows, starting with the BOM and header."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    buffer.write("\ufeff")
    writer.writerow(header)
    chunk = []
    for row in rows.iterator(chunk_size=EXPORT_CHUNK):
        last, first, username, e164, ext, package, status, email, mobile, trunk = row
        number = format_national(e164, ext) if e164 else ""
        mobile = format_national(mobile) if mobile.startswith("+49") else mobile
        values = [last, first, username, number, package or "", labels.get(status, status)]
        values += (email, mobile)
        if with_trunk:
            values.insert(0, trunk)
        chunk.append(excel_safe_row(values))
        if len(chunk) == EXPORT_CHUNK:
            writer.writerows(chunk)
            chunk.clear()
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    writer.writerows(chunk)
    yield buffer.getvalue()


@customer_admin_required
def export_csv(request: HttpRequest) -> StreamingHttpResponse:
    """The overview's rows (same scope and filters) as CSV for Excel: semicolons, UTF-8 with
    BOM; with a "SIP-Trunk" column when it covers all trunks. Streamed in chunks of rows,
    from one query."""
    scope = _scope(request)
    filters = OverviewFilterForm(
        request.GET or None, packages=setup.conference_packages()
    ).filters()
    columns = _rows(scope, filters).values_list(
        "last_name",
        "first_name",
        "username",
        "number__e164",
        "number__extension",
        "package__name",
        "status",
        "auth_email",
        "mobile",
        "trunk__name",
    )
    # Translated here, in the request's language, not row by row while streaming.
    labels = {value: str(label) for value, label in Workplace.Status.choices}
    header = [
        _("Nachname"),
        _("Vorname"),
        _("Benutzername"),
        _("Rufnummer"),
        _("Konferenzpaket"),
        _("Status"),
        _("E-Mail-Adresse zur Authentifizierung"),
        _("Mobilfunknummer"),
    ]
    if scope.all:
        header.insert(0, _("SIP-Trunk"))
    response = StreamingHttpResponse(
        _csv_chunks(columns, header, labels, scope.all), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{scope.filename("csv")}"'
    return response


@customer_admin_required
def export_list(request: HttpRequest) -> HttpResponse:
    """The overview's rows (same filters) in the import template's columns: edit the file and
    upload it again under "Arbeitsplätze importieren"; the rows already set up are found."""
    scope = _scope(request)
    packages = setup.conference_packages()
    filters = OverviewFilterForm(request.GET or None, packages=packages).filters()
    rows = _rows(scope, filters)
    short = {p.code: package_short_name(p) for p in packages}
    person = ("first_name", "last_name", "street", "house_number", "postcode", "city", "email")
    columns = (*person, "username", "auth_email", "mobile", "number__e164", "number__extension")
    lines = []
    for values in rows.values(*columns, "package__code"):
        e164 = values.pop("number__e164")
        extension = values.pop("number__extension")
        code = values.pop("package__code")
        mobile = values["mobile"]
        values["mobile"] = format_national(mobile) if mobile.startswith("+49") else mobile
        values["number"] = format_national(e164, extension) if e164 else ""
        values["package"] = short.get(code, NO_PACKAGE_LABEL) if code else NO_PACKAGE_LABEL
        lines.append(values)
    data = template_xlsx(packages, lines)
    response = HttpResponse(
        data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{scope.filename("xlsx")}"'
    return response


def _ascii(text: str) -> str:
    return "".join(ch if ch.isascii() and ch not in '"\\' else "_" for ch in text).replace(" ", "-")


@customer_admin_required
def detail(request: HttpRequest, code: str) -> HttpResponse:
    workplace = get_workplace_for(request, code)
    context = {
        "workplace": workplace,
        "events": links.attach(
            lifecycle.events_of(workplace)[:50],
            workplace.trunk.customer_id,
            here=str(workplace.code),
        ),
        "earliest_downgrade": workplace.earliest_downgrade_on(),
        "earliest_deletion": workplace.earliest_deletion_on(),
        "today": timezone.localdate(),
        "can_withdraw": not lifecycle.withdrawal_refusal(workplace, timezone.localdate()),
        # Whether and when a phone was set up: only where one can be (two queries).
        "phone": (
            phone_setup.state_of(workplace)
            if workplace.user_id and provisioning.is_connected()
            else None
        ),
    }
    return render(request, "workplaces/manage/detail.html", context)


@changes_required
def edit(request: HttpRequest, code: str) -> HttpResponse:
    workplace = get_workplace_for(request, code)
    if lifecycle.not_in_service_refusal(workplace):
        return refuse_change(request, workplace)
    form = WorkplaceEditForm(request.POST or None, person=workplace)
    if request.method == "POST" and form.is_valid():
        try:
            changed = lifecycle.update_workplace(
                workplace=workplace, data=form.cleaned_data, actor=actor_of(request)
            )
        except Refusal as error:
            show(form, error)
            context = {"workplace": workplace, "form": form}
            return render(request, "workplaces/manage/edit.html", context)
        if changed:
            messages.success(request, _("Die Änderungen sind gespeichert."))
        return redirect("manage:detail", workplace.code)
    return render(request, "workplaces/manage/edit.html", {"workplace": workplace, "form": form})


@changes_required
def reset_password(request: HttpRequest, code: str) -> HttpResponse:
    """A confirmation page that says what a reset does; only its POST resets."""
    workplace = get_workplace_for(request, code)
    if lifecycle.not_in_service_refusal(workplace):
        return refuse_change(request, workplace)
    if not workplace.user_id:
        return redirect("manage:detail", workplace.code)
    if request.method != "POST":
        return render(request, "workplaces/manage/reset_password.html", {"workplace": workplace})
    try:
        credentials.reset_password(
            workplace=workplace,
            actor=actor_of(request),
            remote_addr=client_ip(request),
            language="de",
        )
    except Refusal as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _(
                "Ein neues temporäres Passwort ist unterwegs (%(channel)s). Das alte gilt nicht mehr."
            )
            % {"channel": _("per SMS") if workplace.password_by_sms else _("per E-Mail")},
        )
    return redirect("manage:detail", workplace.code)


@require_POST
@changes_required
def send_phone_setup(request: HttpRequest, code: str) -> HttpResponse:
    """An e-mail to the user that points to "Telefon einrichten" in MyPortal (no code)."""
    workplace = get_workplace_for(request, code)
    try:
        phone_setup.send_reminder(workplace=workplace, actor=actor_of(request))
    except Refusal as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("Eine E-Mail mit dem Weg zu „Telefon einrichten“ ist unterwegs an %(email)s.")
            % {"email": workplace.auth_email},
        )
    return redirect("manage:detail", workplace.code)


@require_POST
@changes_required
def withdraw_cancellation(request: HttpRequest, code: str) -> HttpResponse:
    """ "Kündigung zurücknehmen" until the date: the workplace stays."""
    workplace = get_workplace_for(request, code)
    try:
        lifecycle.withdraw_cancellation(
            workplace=workplace, actor=actor_of(request), today=timezone.localdate()
        )
    except Refusal as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("Die Kündigung ist zurückgenommen. Der Arbeitsplatz bleibt bestehen."),
        )
    return redirect("manage:detail", workplace.code)
