"""Listenimport: upload and check, progress and result, error list, cart step, template."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_POST

from portal.access import actor_of, changes_required, customer_admin_required
from portal.errors import Refusal
from trunks.access import get_trunk_for
from workplaces.access import get_import_run_for
from workplaces.fields import show
from workplaces.listimport import report, service
from workplaces.listimport.errorlist import error_list_csv, error_list_xlsx
from workplaces.listimport.forms import CartForm, UploadForm
from workplaces.listimport.template import template_csv, template_xlsx
from workplaces.models import ImportRun
from workplaces.services import setup

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv; charset=utf-8"


def _download(data: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def run_url(run: ImportRun) -> str:
    return reverse("listimport:run", args=[run.trunk.code, run.code])


@changes_required
def upload(request: HttpRequest, trunk_code: str) -> HttpResponse:
    """The import page: "Vorlage herunterladen", and "Prüfen" of an uploaded file."""
    trunk = get_trunk_for(request, trunk_code)
    posted = request.method == "POST"
    form = UploadForm(request.POST if posted else None, request.FILES if posted else None)
    status = 200
    if posted and form.is_valid():
        try:
            run = service.start_check(
                actor=actor_of(request),
                trunk=trunk,
                file_name=form.cleaned_data["file"].name or "",
                data=form.content,
                language=request.LANGUAGE_CODE,
            )
        except Refusal as error:  # too many checks in a short time
            show(form, error)
            status = 429
        else:
            return redirect(run_url(run))
    context = {"trunk": trunk, "form": form}
    return render(request, "workplaces/listimport/upload.html", context, status=status)


def _render_run(request: HttpRequest, run: ImportRun, form: CartForm | None = None):
    context = {"run": run, "trunk": run.trunk, "form": form}
    if not run.is_working:  # a poll while a task works loads neither the rows nor the results
        sheet = service.sheet_from_json(run.sheet) if run.result else None
        if run.result:
            context["check"] = report.check_report(run, sheet)
        if run.cart_result:
            context["cart"] = report.cart_report(run, sheet)
        if form is None:
            context["form"] = CartForm(failed=(run.result or {}).get("failed", 0))
    template = "workplaces/listimport/run.html"
    if request.htmx and not request.htmx.boosted:
        template += "#run-status"
    return render(request, template, context)


@require_GET
@customer_admin_required
def run(request: HttpRequest, trunk_code: str, code: str) -> HttpResponse:
    """Progress while a task works on the run (htmx polls the status part), then the result."""
    trunk = get_trunk_for(request, trunk_code)
    return _render_run(request, get_import_run_for(request, trunk, code))


@require_POST
@changes_required
def cart(request: HttpRequest, trunk_code: str, code: str) -> HttpResponse:
    """ "In den Warenkorb": the rows become drafts in the admin's cart, in a task."""
    trunk = get_trunk_for(request, trunk_code)
    run = get_import_run_for(request, trunk, code)
    if run.status != ImportRun.Status.CHECKED:  # a second click lands on the result
        return redirect(run_url(run))
    form = CartForm(request.POST, failed=run.result.get("failed", 0))
    if form.is_valid():
        try:
            service.start_cart(actor=actor_of(request), run=run, mode=form.cleaned_data["mode"])
        except Refusal as error:
            show(form, error)
        else:
            return redirect(run_url(run))
    return _render_run(request, run, form)


@require_GET
@customer_admin_required
def error_list(request: HttpRequest, trunk_code: str, code: str, kind: str) -> HttpResponse:
    """ "Fehlerliste herunterladen": the file's rows with a column ``Fehler``."""
    trunk = get_trunk_for(request, trunk_code)
    run = get_import_run_for(request, trunk, code)
    if not run.result:
        raise Http404
    sheet = service.sheet_from_json(run.sheet)
    errors = report.error_messages(run)
    stem = run.file_name.rsplit(".", 1)[0] or "Liste"
    if kind == "xlsx":
        return _download(error_list_xlsx(sheet, errors), XLSX, f"Fehlerliste {stem}.xlsx")
    return _download(error_list_csv(sheet, errors), CSV, f"Fehlerliste {stem}.csv")


@require_GET
@customer_admin_required
def template(request: HttpRequest, kind: str) -> HttpResponse:
    """ "Vorlage herunterladen": the XLSX with hints and the packages, or the bare CSV."""
    if kind == "xlsx":
        data = template_xlsx(setup.conference_packages())
        return _download(data, XLSX, "Vorlage Arbeitsplätze.xlsx")
    return _download(template_csv(), CSV, "Vorlage Arbeitsplätze.csv")
