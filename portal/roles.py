"""The roles of a customer's admins (one module, so the Protokoll's sentences can name them
without the models)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class AdminRole(models.TextChoices):
    """What a customer admin may do (:mod:`portal.policy` answers from it)."""

    #: Everything, including the customer's admins and API keys.
    ADMINISTRATOR = "administrator", _("Administrator")
    #: The wizard, the cart, orders and changes; no admins, no API keys.
    BEARBEITER = "bearbeiter", _("Bearbeiter")
    #: Sees everything of its trunks, changes nothing.
    LESER = "leser", _("Leser")
