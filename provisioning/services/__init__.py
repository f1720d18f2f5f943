"""Keeping the SIP registrar in step with the portal: the outbox, passwords, and the check.

The modules, one concern each: :mod:`.connection` (is a registrar connected, its domain),
:mod:`.jobs` (the outbox of registrar jobs and who waits for them), :mod:`.batch` (its
rows written and carried out by the batch, for big orders), :mod:`.passwords`
(digest hashes written at once), :mod:`.softphone` (a softphone's account with its
ha1), :mod:`.drift` (compare, repair, the check's report).
Callers import from here.
"""

from provisioning.services.batch import queue_ensure_many, run_batch
from provisioning.services.connection import is_connected, sip_domain
from provisioning.services.drift import (
    KIND_LABELS,
    CheckReport,
    Difference,
    Kind,
    Repair,
    check,
    compare,
    expected_subscribers,
    repair,
)
from provisioning.services.jobs import (
    JOB_STATE_LABELS,
    OUTBOX,
    RETRY_GRACE,
    JobState,
    enqueue,
    job_state,
    queue_ensure,
    queue_removal,
    run_job,
    sweep,
    waiting_for,
    when_done,
)
from provisioning.services.passwords import set_password
from provisioning.services.softphone import NoCredentials, sip_proxy, softphone_account

__all__ = [
    "JOB_STATE_LABELS",
    "KIND_LABELS",
    "OUTBOX",
    "RETRY_GRACE",
    "CheckReport",
    "Difference",
    "JobState",
    "Kind",
    "NoCredentials",
    "Repair",
    "check",
    "compare",
    "enqueue",
    "expected_subscribers",
    "is_connected",
    "job_state",
    "queue_ensure",
    "queue_ensure_many",
    "queue_removal",
    "repair",
    "run_batch",
    "run_job",
    "set_password",
    "sip_domain",
    "sip_proxy",
    "softphone_account",
    "sweep",
    "waiting_for",
    "when_done",
]
