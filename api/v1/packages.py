"""``/api/v1/packages``: the conference packages that can be ordered, with features, prices and
the minimum term (what the wizard's step "Konferenzpaket buchen" shows)."""

from __future__ import annotations

from decimal import Decimal

from django.http import HttpRequest
from ninja import Query, Schema
from pydantic import Field

from api.v1.base import PROBLEMS, Paging, api, paged
from catalog.models import MINIMUM_TERM_DAYS, VAT_RATE, Feature, Package, monthly_price

AMOUNT = "Euro mit zwei Nachkommastellen, als Text, z. B. `4.90`"


class FeatureOut(Schema):
    code: str = Field(description="Stabile Kennung der Funktion")
    label: str = Field(description="Die Bezeichnung, wie die Seiten sie zeigen")


class PriceOut(Schema):
    net: str = Field(description=f"Monatlich netto; {AMOUNT}")
    gross: str = Field(description=f"Monatlich brutto (inkl. MwSt.); {AMOUNT}")


class PackageOut(Schema):
    code: str = Field(description="Die Kennung, mit der das Paket bestellt wird")
    name: str
    rank: int = Field(description="Höhere Stufe = größeres Paket (für Up- und Downgrade)")
    features: list[FeatureOut]
    monthly: PriceOut = Field(description="Was das Paket allein im Monat kostet")
    workplace_monthly: PriceOut = Field(
        description="Was ein Arbeitsplatz mit diesem Paket im Monat kostet (Arbeitsplatz + Paket)"
    )
    vat_rate: str = Field(description="Der Mehrwertsteuersatz, z. B. `0.19`")
    minimum_term_days: int = Field(
        description="Mindestvertragslaufzeit: ein kleineres Paket oder die Kündigung erst "
        "nach so vielen Tagen ab der Buchung"
    )


class PackagePage(Schema):
    count: int
    page: int
    page_size: int
    pages: int
    items: list[PackageOut]


def _amount(value: Decimal) -> str:
    return f"{value:.2f}"


@api.get("/packages", response={200: PackagePage, **PROBLEMS}, tags=["Packages"])
def list_packages(request: HttpRequest, paging: Query[Paging]) -> dict:
    """Die bestellbaren Konferenzpakete, vom kleinsten zum größten."""
    page = paged(Package.objects.conference(), paging)
    workplace_net = monthly_price(None).workplace_net if page["items"] else Decimal(0)
    labels = dict(Feature.choices)
    items = []
    for package in page["items"]:
        price = monthly_price(package, workplace_net=workplace_net)
        items.append(
            {
                "code": package.code,
                "name": package.name,
                "rank": package.rank,
                "features": [
                    {"code": key, "label": str(labels[key])}
                    for key in package.features
                    if key in labels
                ],
                "monthly": {
                    "net": _amount(package.monthly_net),
                    "gross": _amount(package.monthly_gross),
                },
                "workplace_monthly": {"net": _amount(price.net), "gross": _amount(price.gross)},
                "vat_rate": str(VAT_RATE),
                "minimum_term_days": MINIMUM_TERM_DAYS,
            }
        )
    page["items"] = items
    return page
