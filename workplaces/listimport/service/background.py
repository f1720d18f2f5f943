"""The two steps as tasks: starting the check and the cart step (the page's side), and the
bodies ``workplaces.tasks`` runs for them (the worker's side).
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from portal import policy, ratelimit
from portal.errors import Refusal
from portal.policy import Actor
from trunks.models import SipTrunk
from workplaces.listimport.files import Sheet, read_upload
from workplaces.listimport.service.cart_step import ALL, MODES, add_rows_to_cart
from workplaces.listimport.service.check import check_rows
from workplaces.listimport.service.runs import (
    CRASHED,
    REFUSED,
    _enqueue,
    _progress,
    _release,
    claim_run,
    purge_runs,
)
from workplaces.listimport.service.sheets import sheet_from_json, sheet_to_json
from workplaces.models import ImportRun


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
            updated_at=timezone.now(),  # update() leaves auto_now alone; the sweep reads it
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
