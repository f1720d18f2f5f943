from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from catalog.models import Package, PriceChange, gross
from portal.models import Customer
from workplaces.models import Workplace


class Cart(models.Model):
    """One admin's cart. The token changes with every order, so a replayed submit is seen."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    token = models.UUIDField(default=uuid.uuid4)

    class Meta:
        verbose_name = _("Warenkorb")
        verbose_name_plural = _("Warenkörbe")
        constraints = [
            models.UniqueConstraint(fields=["customer", "owner"], name="orders_one_cart_per_admin")
        ]

    def __str__(self) -> str:
        return f"cart of {self.owner_id}"


class CartChange(models.Model):
    """A package change of an existing workplace, waiting in an admin's cart.

    ``package`` is the package after the change; empty means the package is cancelled.
    """

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    workplace = models.ForeignKey(Workplace, on_delete=models.CASCADE, related_name="+")
    package = models.ForeignKey(
        Package, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Paketwechsel im Warenkorb")
        verbose_name_plural = _("Paketwechsel im Warenkorb")
        constraints = [
            # One package change per workplace in all carts: a second admin's change would
            # be checked against a package that is about to change.
            models.UniqueConstraint(fields=["workplace"], name="orders_one_change_per_workplace")
        ]

    def __str__(self) -> str:
        return f"{self.workplace_id} -> {self.package_id}"


class Order(models.Model):
    class Status(models.TextChoices):
        RECEIVED = "received", _("Eingegangen")
        PROCESSING = "processing", _("In Bearbeitung")
        COMPLETED = "completed", _("Abgeschlossen")
        FAILED = "failed", _("Fehlgeschlagen")

    #: Placed but not yet processed: its items may still change what a page decides.
    IN_PROGRESS = (Status.RECEIVED, Status.PROCESSING)

    TRANSITIONS = {
        Status.RECEIVED: {Status.PROCESSING, Status.FAILED},
        Status.PROCESSING: {Status.COMPLETED, Status.FAILED},
        Status.COMPLETED: set(),
        Status.FAILED: set(),
    }

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    number = models.CharField(_("Auftragsnummer"), max_length=20, unique=True, null=True)
    customer = models.ForeignKey(
        Customer, verbose_name=_("Kunde"), on_delete=models.PROTECT, related_name="orders"
    )
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Bestellt von"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    submission = models.UUIDField(_("Übermittlung"), editable=False)
    status = models.CharField(
        _("Status"), max_length=20, choices=Status.choices, default=Status.RECEIVED
    )
    monthly_net = models.DecimalField(_("Monatlich netto"), max_digits=10, decimal_places=2)
    language = models.CharField(_("Sprache"), max_length=8, default="de")
    created_at = models.DateTimeField(_("Bestellt am"), auto_now_add=True)

    class Meta:
        verbose_name = _("Auftrag")
        verbose_name_plural = _("Aufträge")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["submission"], name="orders_order_once_per_submission")
        ]
        indexes = [models.Index(fields=["customer", "-created_at"], name="orders_customer_time")]

    def __str__(self) -> str:
        return self.number or str(self.code)

    @property
    def monthly_gross(self) -> Decimal:
        return gross(self.monthly_net)

    @property
    def in_progress(self) -> bool:
        return self.status in self.IN_PROGRESS

    def can_move_to(self, status: str) -> bool:
        return status in self.TRANSITIONS[self.Status(self.status)]


class OrderItem(models.Model):
    class Kind(models.TextChoices):
        NEW_WORKPLACE = "new_workplace", _("Neuer SIP-Trunk Arbeitsplatz")
        PACKAGE_CHANGE = "package_change", _("Paketwechsel")
        DELETION = "deletion", _("Löschung")

    class Outcome(models.TextChoices):
        PENDING = "pending", _("Offen")
        DONE = "done", _("Ausgeführt")
        REFUSED = "refused", _("Nicht ausgeführt")

    order = models.ForeignKey(
        Order, verbose_name=_("Auftrag"), on_delete=models.CASCADE, related_name="items"
    )
    kind = models.CharField(_("Art"), max_length=30, choices=Kind.choices)
    workplace = models.ForeignKey(
        Workplace, verbose_name=_("Arbeitsplatz"), on_delete=models.PROTECT, related_name="+"
    )
    package = models.ForeignKey(
        Package,
        verbose_name=_("Konferenzpaket"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    workplace_net = models.DecimalField(_("Arbeitsplatz netto"), max_digits=8, decimal_places=2)
    package_net = models.DecimalField(
        _("Paket netto"), max_digits=8, decimal_places=2, default=Decimal("0.00")
    )
    #: The workplace's monthly net before a package change or deletion; empty for a new one.
    previous_net = models.DecimalField(
        _("Bisher monatlich netto"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    outcome = models.CharField(
        _("Ergebnis"), max_length=10, choices=Outcome.choices, default=Outcome.PENDING
    )
    reason = models.CharField(_("Grund"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("Auftragsposition")
        verbose_name_plural = _("Auftragspositionen")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.workplace_id}"

    @property
    def price_change(self) -> PriceChange:
        """Before and after: workplace and package after the item, what was paid before."""
        return PriceChange(
            before_net=self.previous_net or Decimal("0.00"),
            after_net=self.workplace_net + self.package_net,
        )

    @property
    def changes_a_workplace(self) -> bool:
        """A package change or deletion whose price before is known (shown as bisher/neu)."""
        return self.previous_net is not None

    @property
    def monthly_net(self) -> Decimal:
        """What the item adds to the monthly bill (negative when it lowers it)."""
        return self.price_change.difference


class OrderStatusChange(models.Model):
    order = models.ForeignKey(
        Order, verbose_name=_("Auftrag"), on_delete=models.CASCADE, related_name="history"
    )
    status = models.CharField(_("Status"), max_length=20, choices=Order.Status.choices)
    note = models.CharField(_("Hinweis"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("Zeitpunkt"), auto_now_add=True)

    class Meta:
        verbose_name = _("Statuswechsel")
        verbose_name_plural = _("Statusverlauf")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.status}"
