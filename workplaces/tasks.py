from __future__ import annotations

from django.conf import settings

from portal.celery import app
from workplaces.listimport import service as listimport
from workplaces.myportal import services as myportal
from workplaces.services import setup

#: A list of 5,000 rows takes longer than the default limit to put into the cart.
IMPORT_TIME_LIMIT = settings.IMPORT_TASK_TIME_LIMIT
#: A second delivery finds the run claimed and asks again this much later (well below the
#: broker's visibility timeout), until the first is done or its claim is stale.
BUSY_RETRY_SECONDS = 120
IMPORT_OPTIONS = {
    "bind": True,
    "time_limit": IMPORT_TIME_LIMIT,
    "soft_time_limit": IMPORT_TIME_LIMIT - 60,
    "max_retries": (IMPORT_TIME_LIMIT + 30) // BUSY_RETRY_SECONDS + 2,
}


@app.task
def send_password_reset(username: str, address: str | None, language: str) -> None:
    """ "Passwort vergessen" in the worker: the request only counted and handed over the
    username. Not retried: the user asks again (the current password keeps working)."""
    myportal.send_password_reset(username=username, address=address, language=language)


@app.task
def expire_drafts() -> int:
    """Release the reservations of idle drafts. Idempotent: expired drafts are not live."""
    return setup.expire_drafts()


@app.task(**IMPORT_OPTIONS)
def check_import(self, run_id: int) -> None:
    """ "Prüfen" of an uploaded list. Idempotent: the check reserves nothing, writes its run;
    a claim on the run keeps a second delivery waiting while the first runs."""
    try:
        listimport.run_check(run_id=run_id)
    except listimport.Busy:
        raise self.retry(countdown=BUSY_RETRY_SECONDS) from None


@app.task(**IMPORT_OPTIONS)
def add_import_to_cart(self, run_id: int) -> None:
    """ "In den Warenkorb" of a checked list. Idempotent on the run's status and claim (a
    second delivery waits while the first runs), and a row added before is found in the
    cart again, so nobody is added twice."""
    try:
        listimport.run_cart(run_id=run_id)
    except listimport.Busy:
        raise self.retry(countdown=BUSY_RETRY_SECONDS) from None


@app.task
def sweep_import_runs() -> int:
    """Hand import runs whose task was lost to a worker again. Idempotent: the run's status
    and claim let one execution work on it."""
    return listimport.sweep_runs()


@app.task
def purge_import_runs() -> int:
    """Delete import runs older than a day. Idempotent: deleting twice deletes nothing more."""
    return listimport.purge_runs()
