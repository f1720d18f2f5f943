"""The catalog: what can be ordered (the workplace itself, conference packages), its features,
prices, VAT and the minimum term. Below everything that sells or books it."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

#: "Eine Änderung in ein kleineres Paket und die Kündigung ist nur nach Ende der
#: Mindestvertragslaufzeit (30 Tage) möglich." It holds for every product alike.
MINIMUM_TERM_DAYS = 30
VAT_RATE = Decimal("0.19")
CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def gross(net: Decimal) -> Decimal:
    return (net * (1 + VAT_RATE)).quantize(CENT, rounding=ROUND_HALF_UP)


def money(amount: Decimal) -> str:
    """``1.234,56``: German grouping and decimal comma, whatever the active language."""
    return f"{amount:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")


def signed_money(amount: Decimal) -> str:
    """``+5,00`` / ``−16,80`` / ``±0,00``: a change of a monthly amount."""
    sign = "+" if amount > 0 else "−" if amount < 0 else "±"
    return f"{sign}{money(abs(amount))}"


class Feature(models.TextChoices):
    """What a conference package can do (seed, step 5)."""

    ONLINE_CONFERENCE = "online_conference", _("Online-Konferenzen")
    VIDEO_CONFERENCE = "video_conference", _("Videokonferenzen")
    SCREEN_SHARING = "screen_sharing", _("Bildschirm teilen")
    APP_SHARING = "app_sharing", _("Einzelne Anwendungen teilen")
    CHAT = "chat", _("Nachrichten per Chat")
    FILE_EXCHANGE = "file_exchange", _("Dateien per Drag & Drop austauschen")


class PackageQuerySet(models.QuerySet):
    def conference(self) -> PackageQuerySet:
        return self.filter(kind=Package.Kind.CONFERENCE, active=True).order_by("rank")

    def orderable_by_code(self, code: object) -> Package | None:
        """The conference package that can be ordered now with the code ``code``, or None."""
        text = str(code or "").strip()
        # No code holds NUL, and PostgreSQL refuses it in a query (an API body may carry it).
        if not text or "\x00" in text:
            return None
        return self.conference().filter(code=text).first()


class Package(models.Model):
    """A priced product: the workplace itself, or a conference package."""

    class Kind(models.TextChoices):
        WORKPLACE = "workplace", _("Arbeitsplatz")
        CONFERENCE = "conference", _("Konferenzpaket")

    code = models.SlugField(_("Kennung"), unique=True)
    kind = models.CharField(_("Art"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("Name"), max_length=60)
    rank = models.PositiveSmallIntegerField(
        _("Stufe"), default=0, help_text=_("Höhere Stufe = größeres Paket (für Up-/Downgrade).")
    )
    features = models.JSONField(_("Funktionen"), default=list, blank=True)
    monthly_net = models.DecimalField(_("Monatlich netto (EUR)"), max_digits=8, decimal_places=2)
    active = models.BooleanField(_("Bestellbar"), default=True)

    objects = PackageQuerySet.as_manager()

    class Meta:
        # The table was made when packages lived in the orders app; its name stays.
        db_table = "orders_package"
        verbose_name = _("Produkt")
        verbose_name_plural = _("Produkte und Pakete")
        ordering = ["kind", "rank"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(monthly_net__gte=0), name="orders_package_price_not_negative"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def monthly_gross(self) -> Decimal:
        return gross(self.monthly_net)

    def feature_labels(self) -> list[str]:
        labels = dict(Feature.choices)
        return [str(labels[key]) for key in self.features if key in labels]

    @classmethod
    def workplace_product(cls) -> Package:
        return cls.objects.get(kind=cls.Kind.WORKPLACE, active=True)


@dataclass(frozen=True)
class MonthlyPrice:
    """What a workplace costs a month: the workplace itself plus its conference package.

    The one place that adds them up; pages, the cart, orders and e-mails show its parts.
    """

    workplace_net: Decimal
    package: Package | None = None

    @property
    def package_net(self) -> Decimal:
        return self.package.monthly_net if self.package else ZERO

    @property
    def net(self) -> Decimal:
        return self.workplace_net + self.package_net

    @property
    def gross(self) -> Decimal:
        return gross(self.net)


def monthly_price(package: Package | None, *, workplace_net: Decimal | None = None) -> MonthlyPrice:
    """The monthly price of a workplace with ``package`` (or none), at today's prices."""
    if workplace_net is None:
        workplace_net = Package.workplace_product().monthly_net
    return MonthlyPrice(workplace_net, package)


@dataclass(frozen=True)
class PriceChange:
    """A monthly amount before and after a change (0 before a new workplace, 0 after a
    deletion), and the difference, which is what the change adds to a bill."""

    before_net: Decimal
    after_net: Decimal

    @property
    def difference(self) -> Decimal:
        return self.after_net - self.before_net
