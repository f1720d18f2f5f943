"""GET /api/v1/packages: what step "Konferenzpaket buchen" shows, for machines (issue 18)."""

from __future__ import annotations

import json

from catalog.models import Package
from tests.api.test_v1 import assert_problem, get, key_for

PACKAGES = "/api/v1/packages"


def test_packages_come_with_features_net_and_gross_prices_and_the_minimum_term(alice, packages):
    body = json.loads(get(PACKAGES, key_for(alice)).content)
    assert body["count"] == 3
    assert [item["code"] for item in body["items"]] == [
        "konferenz-basic",
        "konferenz-plus",
        "konferenz-premium",
    ]
    basic, _plus, premium = body["items"]
    assert basic == {
        "code": "konferenz-basic",
        "name": "Konferenz Basic",
        "rank": 1,
        "features": [{"code": "chat", "label": "Nachrichten per Chat"}],
        # 4,90 € net, 5,83 € gross (4.90 * 1.19 = 5.831, rounded as on the pages)
        "monthly": {"net": "4.90", "gross": "5.83"},
        # the workplace (6,90 €) with the package: 11,80 € net, 14,04 € gross
        "workplace_monthly": {"net": "11.80", "gross": "14.04"},
        "vat_rate": "0.19",
        "minimum_term_days": 30,
    }
    assert len(premium["features"]) == 6
    assert premium["monthly"] == {"net": "14.90", "gross": "17.73"}


def test_a_package_that_cannot_be_ordered_is_not_listed(alice, packages):
    Package.objects.filter(code="konferenz-plus").update(active=False)
    body = json.loads(get(PACKAGES, key_for(alice)).content)
    assert [item["code"] for item in body["items"]] == ["konferenz-basic", "konferenz-premium"]


def test_packages_need_a_key(packages):
    assert_problem(get(PACKAGES), 401)
