"""The drift check: the registrar compared with the active workplaces, repaired on request,
and the report ``provisioning_check`` and the hourly task print.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from portal import outbox
from provisioning.backends import RegistrarUnavailable, get_backend
from provisioning.models import RegistrarJob
from provisioning.services.connection import is_connected
from provisioning.services.jobs import run_job


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
        with backend.transaction([username, *(d.e164 for d in found if d.e164)]):
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
                except outbox.Deferred as exc:
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
