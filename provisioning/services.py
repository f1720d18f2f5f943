"""Keeping the SIP registrar in step with the portal: the outbox, passwords, and the check.

Callers write a :class:`RegistrarJob` inside the transaction of their change
(:func:`queue_ensure`, :func:`queue_removal`); on commit its id goes to a worker, which claims
the row atomically, so a duplicate task does nothing. When the registrar cannot be reached
the row goes back to pending with a reason and a time for the next attempt (the project's
one backoff, :func:`portal.outbox.backoff`); the task retries, and :func:`sweep` hands out
rows whose retry got lost (claim, defer and sweep are :mod:`portal.outbox`'s). Only the
newest job of a username is carried out: an older one still waiting is superseded, so a late
"ensure" cannot bring back a removed subscriber.

Passwords do not pass through the outbox: :func:`set_password` writes the digest hashes
to the registrar at once, from the place where the password is made, before it is sent.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from portal import celery, outbox
from provisioning.backends import E164, RegistrarUnavailable, get_backend
from provisioning.models import RegistrarJob

log = logging.getLogger(__name__)

#: A pending row whose retry time is this far in the past is handed to a worker again.
RETRY_GRACE = dt.timedelta(seconds=60)

OUTBOX = outbox.Outbox(
    RegistrarJob,
    pending=RegistrarJob.Status.PENDING,
    running=RegistrarJob.Status.RUNNING,
    task="provisioning.tasks.run_job",
    retry_base_setting="PROVISIONING_RETRY_BASE_SECONDS",
    retry_max_setting="PROVISIONING_RETRY_MAX_SECONDS",
    grace=RETRY_GRACE,
)


class JobDeferred(Exception):
    """The job went back to pending; the task should try again in ``countdown`` seconds."""

    def __init__(self, countdown: float, reason: str) -> None:
        super().__init__(reason)
        self.countdown = countdown
        self.reason = reason


def is_connected() -> bool:
    """Whether a SIP registrar is connected (False with ``PROVISIONING_BACKEND=none``)."""
    return get_backend().connected


def sip_domain() -> str:
    """The SIP domain (and digest realm) clients register at; empty without a registrar."""
    return get_backend().domain


# --- the outbox ----------------------------------------------------------------------------


def queue_ensure(*, username: str, e164: str | None, ref: str = "") -> RegistrarJob:
    """The registrar shall have ``username`` with the alias ``e164`` (written on commit)."""
    if e164 and not E164.match(e164):
        raise ValueError("e164 must be a number in E.164 form, with '+'")
    return _queue(kind=RegistrarJob.Kind.ENSURE, username=username, e164=e164 or "", ref=ref)


def queue_removal(*, username: str, ref: str = "") -> RegistrarJob:
    """The registrar shall forget ``username``: row, aliases and registered contacts."""
    return _queue(kind=RegistrarJob.Kind.REMOVE, username=username, e164="", ref=ref)


def _queue(*, kind: str, username: str, e164: str, ref: str) -> RegistrarJob:
    if not get_backend().connected:
        # Nothing to provision: the row records the change and is done at once.
        return RegistrarJob.objects.create(
            kind=kind,
            username=username,
            e164=e164,
            ref=ref,
            status=RegistrarJob.Status.DONE,
            done_at=timezone.now(),
        )
    job = RegistrarJob.objects.create(kind=kind, username=username, e164=e164, ref=ref)
    transaction.on_commit(lambda: enqueue(job.pk))
    return job


def enqueue(job_id: int) -> None:
    """Hand a row to a worker. A broker outage is logged, not raised: the sweep retries."""
    OUTBOX.enqueue(job_id)


def _finish(job: RegistrarJob, **fields) -> None:
    OUTBOX.finish(job, **fields)


def run_job(job_id: int, *, claim: str) -> bool:
    """Carry out one row. Returns False when there was nothing to do (done, or claimed).

    Raises :class:`JobDeferred` after putting the row back to pending, so the task can
    retry with backoff.
    """
    job = OUTBOX.claim(job_id, claim)
    if job is None:
        return False
    backend = get_backend()
    try:
        with backend.transaction():
            # Under the registrar lock: a newer job of this username decides alone.
            superseded = RegistrarJob.objects.filter(username=job.username, pk__gt=job.pk).exists()
            if superseded:
                pass
            elif job.kind == RegistrarJob.Kind.ENSURE:
                backend.ensure_subscriber(username=job.username, e164=job.e164 or None)
            else:
                backend.remove_subscriber(username=job.username)
    except RegistrarUnavailable as exc:
        raise _defer(job, exc.reason, str(exc)) from None
    except Exception:
        # A bug or a misconfiguration (e.g. the schema not loaded): logged, retried like an
        # outage, so the row does not stay "running" and shows its reason.
        log.exception("registrar: job %s (%s) failed", job.pk, job.kind)
        raise _defer(job, RegistrarJob.Error.FAILED, "unexpected error") from None
    if superseded:
        _finish(job, status=RegistrarJob.Status.SUPERSEDED, done_at=timezone.now())
    else:
        _finish(job, status=RegistrarJob.Status.DONE, done_at=timezone.now(), last_error="")
        log.info("registrar: job %s done (%s %s)", job.pk, job.kind, job.username)
    # Whoever waited for it carries on (after a superseded one, it finds the newer job).
    _follow_up(job.pk)
    return True


def _follow_up(job_id: int) -> None:
    """Enqueue the task that waits for this job (see :func:`when_done`), if any.

    Read after the row is marked finished: a :func:`when_done` that did not see it finished
    had set the task before, so one of the two always hands the waiting work on.
    """
    then = (
        RegistrarJob.objects.filter(pk=job_id)
        .exclude(then_task="")
        .values_list("then_task", "then_id")
        .first()
    )
    if then is not None:
        celery.enqueue(then[0], then[1])


def _defer(job: RegistrarJob, reason: str, message: str) -> JobDeferred:
    countdown = OUTBOX.defer(job, error=reason)
    log.warning(
        "registrar: job %s attempt %s failed: %s; next in %.0f s",
        job.pk,
        job.attempts,
        message,
        countdown,
    )
    return JobDeferred(countdown, reason)


def sweep(*, now: dt.datetime | None = None) -> int:
    """Hand stuck rows to a worker again: lost publishes and retries, broker outages, dead
    workers. Idempotent: a worker claims each row once."""
    return OUTBOX.sweep(now=now)


@dataclass(frozen=True)
class JobState:
    """The registrar state of one ``ref`` for a page: pending, retrying (with reason), done."""

    state: str
    kind: str
    reason: str = ""
    next_attempt_at: dt.datetime | None = None

    @property
    def label(self) -> str:
        return str(JOB_STATE_LABELS[self.state])


JOB_STATE_LABELS = {
    "pending": gettext_lazy("Wird zum SIP-Registrar übertragen"),
    "retrying": gettext_lazy("SIP-Registrar nicht erreichbar, neuer Versuch folgt"),
    "done": gettext_lazy("Beim SIP-Registrar eingetragen"),
}


def _latest_jobs(refs: Iterable[str]):
    """The newest job of each ref (one query)."""
    latest = RegistrarJob.objects.filter(ref__in=list(refs)).values("ref").annotate(last=Max("pk"))
    return RegistrarJob.objects.filter(pk__in=latest.values("last"))


def job_state(refs: Iterable[str]) -> dict[str, JobState]:
    """The newest job of each ref; refs without a job are left out."""
    states = {}
    for job in _latest_jobs(refs):
        if job.status in RegistrarJob.FINISHED:
            states[job.ref] = JobState("done", job.kind)
        elif job.last_error:
            states[job.ref] = JobState(
                "retrying", job.kind, str(job.get_last_error_display()), job.next_attempt_at
            )
        else:
            states[job.ref] = JobState("pending", job.kind)
    return states


def when_done(refs: Iterable[str], *, then_task: str, then_id: int) -> bool:
    """Whether the newest job of every ref is done (refs without a job count as done).

    For each that is not, ``then_task`` (a task name) is enqueued with ``then_id`` once it is
    done or superseded, so the caller can carry on then (and should ask again: a newer job
    may have come). A job finishing meanwhile either is seen done here or finds the task set.
    """
    waiting = (
        _latest_jobs(refs)
        .exclude(status__in=RegistrarJob.FINISHED)
        .update(then_task=then_task, then_id=then_id)
    )
    return waiting == 0


# --- passwords -----------------------------------------------------------------------------


def set_password(*, username: str, password: str) -> None:
    """Write the digest hashes of ``password`` to the registrar now (no-op without one).

    Raises :class:`RegistrarUnavailable` when it cannot: the caller must then not send the
    password, since it would not work on the registrar. Never logs the password or a hash.
    """
    get_backend().set_password(username=username, password=password)


# --- the check -----------------------------------------------------------------------------


class Kind:
    MISSING = "missing"
    EXTRA = "extra"
    DOMAIN = "domain"
    ALIAS = "alias"
    UNSET = "unset"  # no password set


KIND_LABELS = {
    Kind.MISSING: gettext_lazy("fehlt"),
    Kind.EXTRA: gettext_lazy("überzählig"),
    Kind.DOMAIN: gettext_lazy("falsche Domain"),
    Kind.ALIAS: gettext_lazy("Alias falsch"),
    Kind.UNSET: gettext_lazy("ohne Passwort"),
}


@dataclass(frozen=True)
class Difference:
    """One way the registrar differs from the active workplaces."""

    kind: str
    username: str
    e164: str | None
    detail: str

    def __str__(self) -> str:
        return f"{self.username}: {self.detail}"


@dataclass(frozen=True)
class Repair:
    difference: Difference
    fixed: bool
    note: str

    def __str__(self) -> str:
        return f"{self.difference.username}: {self.note}"


def compare(expected: dict[str, str | None]) -> list[Difference]:
    """Differences between ``expected`` (username -> E.164 of each active workplace) and the
    registrar: missing, in another domain, extra, alias missing or wrong, no password.

    Without a registrar (``none``) there is nothing to compare: the list is empty.
    Raises :class:`RegistrarUnavailable` when the registrar cannot be read.
    """
    backend = get_backend()
    if not backend.connected:
        return []
    snapshot = backend.snapshot()
    differences: list[Difference] = []
    for username in sorted(expected):
        e164 = expected[username] or None
        subscriber = snapshot.subscribers.get(username)
        if subscriber is None:
            if username in snapshot.elsewhere:
                domains = ", ".join(snapshot.elsewhere[username])
                detail = _("nur in der Domain %(found)s statt %(domain)s eingetragen") % {
                    "found": domains,
                    "domain": snapshot.domain,
                }
                differences.append(Difference(Kind.DOMAIN, username, e164, detail))
            else:
                differences.append(
                    Difference(Kind.MISSING, username, e164, _("fehlt beim SIP-Registrar"))
                )
            continue
        if not subscriber.has_password:
            differences.append(Difference(Kind.UNSET, username, e164, _("kein Passwort gesetzt")))
        own = sorted(
            alias
            for alias, targets in snapshot.aliases.items()
            if any(t.username == username and t.domain == snapshot.domain for t in targets)
        )
        targets = snapshot.aliases.get(e164, ()) if e164 else ()
        right = [t for t in targets if (t.username, t.domain) == (username, snapshot.domain)]
        if e164 and not targets:
            detail = _("Alias %(number)s fehlt") % {"number": e164}
            differences.append(Difference(Kind.ALIAS, username, e164, detail))
        elif e164 and (not right or len(targets) > 1):
            detail = _("Alias %(number)s zeigt auf %(target)s") % {
                "number": e164,
                "target": ", ".join(f"{t.username}@{t.domain}" for t in targets),
            }
            differences.append(Difference(Kind.ALIAS, username, e164, detail))
        stale = [alias for alias in own if alias != e164]
        if stale:
            detail = _("überzähliger Alias %(numbers)s") % {"numbers": ", ".join(stale)}
            differences.append(Difference(Kind.ALIAS, username, e164, detail))
    extra = set(snapshot.subscribers) | {
        t.username
        for targets in snapshot.aliases.values()
        for t in targets
        if t.domain == snapshot.domain
    }
    for username in sorted(extra - set(expected)):
        differences.append(
            Difference(
                Kind.EXTRA, username, None, _("beim SIP-Registrar, aber kein aktiver Arbeitsplatz")
            )
        )
    return differences


def repair(differences: Iterable[Difference]) -> list[Repair]:
    """Fix what can be fixed: create or correct rows and aliases, remove extra ones.

    A missing password cannot come back (the portal never keeps it): that needs a password
    reset. A username whose job a worker is carrying out right now is left to it; jobs still
    waiting for their retry (or, without a worker, for ever) are carried out first.
    Raises :class:`RegistrarUnavailable` when the registrar fails in between.
    """
    backend = get_backend()
    by_user: dict[str, list[Difference]] = {}
    for difference in differences:
        by_user.setdefault(difference.username, []).append(difference)
    repairs: list[Repair] = []
    for username, found in by_user.items():
        with backend.transaction():
            unfinished = RegistrarJob.objects.filter(
                username=username,
                status__in=[RegistrarJob.Status.PENDING, RegistrarJob.Status.RUNNING],
            )
            if unfinished.filter(status=RegistrarJob.Status.RUNNING).exists():
                note = _("wird gerade übertragen, nicht geändert")
                repairs.extend(Repair(d, False, note) for d in found)
                continue
            for job_id in unfinished.order_by("pk").values_list("pk", flat=True):
                try:
                    run_job(job_id, claim=f"repair-{job_id}")
                except JobDeferred as exc:
                    raise RegistrarUnavailable(exc.reason, "the registrar failed") from None
            kinds = {d.kind for d in found}
            if Kind.EXTRA in kinds:
                backend.remove_subscriber(username=username)
            elif kinds & {Kind.MISSING, Kind.DOMAIN, Kind.ALIAS}:
                backend.ensure_subscriber(username=username, e164=found[0].e164)
        for difference in found:
            repairs.append(_outcome(difference))
    return repairs


def _outcome(difference: Difference) -> Repair:
    reset = _("ein Passwort kommt erst mit „Passwort zurücksetzen“")
    if difference.kind == Kind.UNSET:
        return Repair(difference, False, _("nicht behebbar: %(reset)s") % {"reset": reset})
    if difference.kind in (Kind.MISSING, Kind.DOMAIN):
        return Repair(difference, True, _("angelegt; %(reset)s") % {"reset": reset})
    if difference.kind == Kind.EXTRA:
        return Repair(difference, True, _("entfernt"))
    return Repair(difference, True, _("Alias korrigiert"))


@dataclass(frozen=True)
class CheckReport:
    connected: bool
    differences: list[Difference]
    repairs: list[Repair]

    @property
    def open(self) -> list[Difference]:
        """Differences still there: all of them, or after a repair the ones it could not fix."""
        if not self.repairs:
            return self.differences
        return [r.difference for r in self.repairs if not r.fixed]

    def counts(self) -> dict[str, int]:
        return dict(sorted(Counter(d.kind for d in self.differences).items()))

    def lines(self) -> list[str]:
        """What ``provisioning_check`` prints: each difference (or repair), then a summary."""
        if not self.connected:
            return [_("Kein SIP-Registrar angebunden (PROVISIONING_BACKEND=none).")]
        body = (
            [str(r) for r in self.repairs] if self.repairs else [str(d) for d in self.differences]
        )
        return [*body, self.summary()]

    def summary(self) -> str:
        if not self.differences:
            return _("SIP-Registrar stimmt mit den aktiven Arbeitsplätzen überein.")
        counts = ", ".join(f"{KIND_LABELS[kind]}: {n}" for kind, n in self.counts().items())
        text = ngettext(
            "%(count)s Abweichung (%(counts)s).",
            "%(count)s Abweichungen (%(counts)s).",
            len(self.differences),
        ) % {
            "count": len(self.differences),
            "counts": counts,
        }
        if self.repairs:
            text += " " + _("%(fixed)s behoben, %(open)s offen.") % {
                "fixed": sum(r.fixed for r in self.repairs),
                "open": len(self.open),
            }
        return text


def check(expected: dict[str, str | None], *, fix: bool = False) -> CheckReport:
    """Compare (and with ``fix`` repair); the management command and the beat task print or
    log the report. Raises :class:`RegistrarUnavailable` when the registrar cannot be read."""
    connected = is_connected()
    differences = compare(expected) if connected else []
    repairs = repair(differences) if fix and differences else []
    return CheckReport(connected, differences, repairs)


def expected_subscribers() -> dict[str, str | None] | None:
    """The active workplaces from ``PROVISIONING_EXPECTED`` (None while it is not set)."""
    if not settings.PROVISIONING_EXPECTED:
        return None
    return import_string(settings.PROVISIONING_EXPECTED)()
