"""``provisioning_check``: compare the live workplaces with the SIP registrar.

Prints each difference (missing, extra, wrong domain, wrong or missing alias, no password)
and a summary, and exits with 1 while differences remain. ``--repair`` fixes what it can;
a password the registrar lacks comes back only through "Passwort zurücksetzen", and the
output says so. Without a registrar (``PROVISIONING_BACKEND=none``) there is nothing to do.
"""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from provisioning import services as provisioning
from provisioning.backends import RegistrarUnavailable
from workplaces.services.lifecycle import registrar_expected


class Command(BaseCommand):
    help = (
        "Compare the live workplaces with the SIP registrar; exit 1 while they differ. "
        "--repair fixes what it can."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--repair",
            action="store_true",
            help="create, correct or remove subscribers and aliases (passwords need a reset)",
        )

    def handle(self, *args, repair: bool = False, **options) -> None:
        expected = registrar_expected()
        try:
            report = provisioning.check(expected, fix=repair)
            for line in report.lines():
                self.stdout.write(line)
            remaining = report.open
            if report.repairs:
                # What a repair left: e.g. a subscriber created without its password.
                remaining = provisioning.compare(expected)
                if remaining:
                    self.stdout.write(_("Nach der Reparatur bleibt offen:"))
                    for difference in remaining:
                        self.stdout.write(f"  {difference}")
        except RegistrarUnavailable as exc:
            raise CommandError(
                _("Der SIP-Registrar ist nicht erreichbar: %(error)s") % {"error": exc}
            ) from None
        if remaining:
            sys.exit(1)
