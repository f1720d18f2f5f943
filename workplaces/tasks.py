from __future__ import annotations

from portal.celery import app
from workplaces.listimport import service as listimport
from workplaces.services import setup

#: A list of 5,000 rows takes longer than the default limit to put into the cart.
IMPORT_TIME_LIMIT = 1800


@app.task
def expire_drafts() -> int:
    """Release the reservations of idle drafts. Idempotent: expired drafts are not live."""
    return setup.expire_drafts()


@app.task(time_limit=IMPORT_TIME_LIMIT, soft_time_limit=IMPORT_TIME_LIMIT - 60)
def check_import(run_id: int) -> None:
    """ "Prüfen" of an uploaded list. Idempotent: the check reserves nothing, writes its run."""
    listimport.run_check(run_id=run_id)


@app.task(time_limit=IMPORT_TIME_LIMIT, soft_time_limit=IMPORT_TIME_LIMIT - 60)
def add_import_to_cart(run_id: int) -> None:
    """ "In den Warenkorb" of a checked list. Idempotent on the run's status, and a row added
    before is found in the cart again, so nobody is added twice."""
    listimport.run_cart(run_id=run_id)


@app.task
def purge_import_runs() -> int:
    """Delete import runs older than a day. Idempotent: deleting twice deletes nothing more."""
    return listimport.purge_runs()
