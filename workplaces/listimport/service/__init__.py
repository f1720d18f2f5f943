"""The list import's check ("Prüfen") and cart step ("In den Warenkorb"), row by row.

Every rule is the setup service's, called as the wizard calls it; this module only maps the
columns to the service's arguments and fills in the defaults the README lists:

- ``E-Mail-Adresse zur Authentifizierung`` empty: the ``E-Mail-Adresse``;
- ``Mobilfunknummer`` empty: the password goes by e-mail (``check_contacts`` with
  ``without_mobile=None``);
- ``Benutzername`` empty: the wizard's suggestion from the name, unique in the system and in
  the file;
- ``Rufnummer`` empty: the trunk's next free number, none that another row names.

Uniqueness inside the file is the service's ``also_taken``; the quota of the trunk counts all
fault-free rows together (``quota.places_left``). The check reads the system in a few batch
queries (``UsernameLookup``, ``NumberBook``) and reserves nothing.

"The same person" (nobody is added twice when a list is uploaded again): a row with a
``Benutzername`` is the person with that username on the trunk; a row without one is the
person with the same first name, last name and authentication e-mail address (case does not
count). Such a row is reported as already in a cart of the customer (``in_cart``) or already
set up on the trunk (a workplace that is not deleted: ``set_up``) and is not added.

The cart step puts each row into the cart with the setup service's composite command
(``put_in_cart``), each row in its own transaction: a row whose username or number was taken
since the check is reported and the others go on.

The modules, one concern each: :mod:`.sheets` (the sheet as a run keeps it), :mod:`.people`
(who is already there), :mod:`.check` (the check), :mod:`.cart_step` (the cart step),
:mod:`.runs` (a run's claim, progress, outcome and purge), :mod:`.background` (the steps
started as tasks and the tasks' bodies). Callers import from here.
"""

from workplaces.listimport.service.background import run_cart, run_check, start_cart, start_check
from workplaces.listimport.service.cart_step import (
    ALL,
    CART_CHUNK,
    MODES,
    ONLY_OK,
    add_rows_to_cart,
)
from workplaces.listimport.service.check import CHECK_PROGRESS_EVERY, check_rows
from workplaces.listimport.service.people import IN_CART, SET_UP, People
from workplaces.listimport.service.runs import (
    CRASHED,
    NOT_STARTED,
    REFUSED,
    SWEEP_GRACE,
    Busy,
    claim_run,
    purge_runs,
    sweep_runs,
)
from workplaces.listimport.service.sheets import sheet_from_json, sheet_to_json

__all__ = [
    "ALL",
    "CART_CHUNK",
    "CHECK_PROGRESS_EVERY",
    "CRASHED",
    "IN_CART",
    "MODES",
    "NOT_STARTED",
    "ONLY_OK",
    "REFUSED",
    "SET_UP",
    "SWEEP_GRACE",
    "Busy",
    "People",
    "add_rows_to_cart",
    "check_rows",
    "claim_run",
    "purge_runs",
    "run_cart",
    "run_check",
    "sheet_from_json",
    "sheet_to_json",
    "start_cart",
    "start_check",
    "sweep_runs",
]
