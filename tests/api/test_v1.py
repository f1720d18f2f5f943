"""The JSON API's surface (issue 18, items 1 and 2): bearer keys, problem JSON, the limit per
key, the description and the docs, and GET /api/v1/trunks."""

from __future__ import annotations

import datetime as dt
import json
import re

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from api import services
from api.models import ApiKey
from portal.policy import Actor
from tests.conftest import make_trunk
from workplaces.models import SetupDraft

TRUNKS = "/api/v1/trunks"


def key_for(admin, name: str = "HR") -> str:
    return services.create_api_key(actor=Actor.for_admin(admin), name=name)[1]


def get(path: str, key: str | None = None, **params):
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return Client().get(path, params, headers=headers)


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    body = json.loads(response.content)
    assert body["status"] == status
    assert {"type", "title", "status", "detail"} <= body.keys()
    return body


def assert_unauthorized(response) -> None:
    assert_problem(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_missing_key_is_401(db):
    assert_unauthorized(get(TRUNKS))


def test_wrong_key_is_401(alice):
    key_for(alice)
    assert_unauthorized(get(TRUNKS, "stp_" + "x" * 43))
    assert_unauthorized(get(TRUNKS, "not-even-our-format"))


def test_revoked_key_is_401(alice):
    raw_key = key_for(alice)
    assert get(TRUNKS, raw_key).status_code == 200
    services.revoke_api_key(actor=Actor.for_admin(alice), api_key=ApiKey.objects.get())
    assert_unauthorized(get(TRUNKS, raw_key))


def test_a_key_of_a_deactivated_admin_is_401(alice):
    raw_key = key_for(alice)
    alice.is_active = False
    alice.save(update_fields=["is_active"])
    assert_unauthorized(get(TRUNKS, raw_key))


def test_csrf_does_not_apply_to_bearer_requests(alice):
    client = Client(enforce_csrf_checks=True)
    response = client.post(TRUNKS, headers={"Authorization": f"Bearer {key_for(alice)}"})
    assert response.status_code == 405  # no CSRF 403: the method is simply not offered


def test_a_key_of_charlies_customer_sees_only_charlies_trunks(alice, charlie, trunk, other_trunk):
    make_trunk(trunk.customer, "Filiale Berlin", "+4930123456", 10, 19)
    body = json.loads(get(TRUNKS, key_for(charlie)).content)
    assert [item["code"] for item in body["items"]] == [str(other_trunk.code)]
    assert body["count"] == 1
    alices = json.loads(get(TRUNKS, key_for(alice)).content)
    assert {item["name"] for item in alices["items"]} == {"Zentrale Bonn", "Filiale Berlin"}


def test_trunks_show_quota_used_and_free_as_the_kontingente_page(alice, trunk):
    SetupDraft.objects.create(
        customer=trunk.customer, trunk=trunk, created_by=alice, status=SetupDraft.Status.IN_CART
    )
    (item,) = json.loads(get(TRUNKS, key_for(alice)).content)["items"]
    assert item == {
        "code": str(trunk.code),
        "name": "Zentrale Bonn",
        "quota": 25,
        "used": 1,
        "free": 24,
    }


def test_trunks_are_paged_with_totals(alice, demo_customer, packages):
    for n in range(5):
        make_trunk(demo_customer, f"Trunk {n}", f"+4922818{n}000", 10, 11)
    raw_key = key_for(alice)
    body = json.loads(get(TRUNKS, raw_key, page=2, page_size=2).content)
    assert (body["count"], body["page"], body["page_size"], body["pages"]) == (5, 2, 2, 3)
    assert [item["name"] for item in body["items"]] == ["Trunk 2", "Trunk 3"]
    assert json.loads(get(TRUNKS, raw_key, page=9, page_size=2).content)["items"] == []
    invalid = assert_problem(get(TRUNKS, raw_key, page_size=0), 422)
    assert invalid["errors"][0]["code"] == "invalid"


def test_a_page_beyond_any_offset_the_database_takes_is_422_not_a_server_error(alice, trunk):
    """The fuzzer's find: page=10**17 made an OFFSET PostgreSQL refuses (bigint out of range)."""
    raw_key = key_for(alice)
    assert get(TRUNKS, raw_key, page=1_000_000).status_code == 200
    assert_problem(get(TRUNKS, raw_key, page=10**17), 422)


def test_a_key_over_its_limit_gets_429_with_retry_after(alice, bob, settings):
    settings.API_REQUESTS_PER_MINUTE = 3
    raw_key, other_key = key_for(alice), key_for(bob, "Andere")
    assert [get(TRUNKS, raw_key).status_code for _ in range(3)] == [200, 200, 200]
    response = get(TRUNKS, raw_key)
    assert_problem(response, 429)
    assert 1 <= int(response["Retry-After"]) <= 60
    assert get(TRUNKS, other_key).status_code == 200  # per key


def test_last_use_is_written_at_most_once_a_minute(alice):
    raw_key = key_for(alice)
    get(TRUNKS, raw_key)
    api_key = ApiKey.objects.get()
    first = api_key.last_used_at
    assert first is not None
    get(TRUNKS, raw_key)
    api_key.refresh_from_db()
    assert api_key.last_used_at == first
    stale = timezone.now() - dt.timedelta(minutes=2)
    ApiKey.objects.update(last_used_at=stale)
    get(TRUNKS, raw_key)
    api_key.refresh_from_db()
    assert api_key.last_used_at > stale + dt.timedelta(minutes=1)


def test_no_write_per_request_within_the_minute(alice):
    raw_key = key_for(alice)
    found, _actor = services.authenticate(raw_key)
    services.count_request(found)
    with CaptureQueriesContext(connection) as queries:
        services.count_request(found)
    assert not [q for q in queries.captured_queries if q["sql"].startswith("UPDATE")]


def test_the_description_is_openapi_3_and_lists_the_paths(db):
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/trunks" in schema["paths"]
    responses = schema["paths"]["/api/v1/trunks"]["get"]["responses"]
    assert "application/problem+json" in responses["401"]["content"]
    assert "application/problem+json" in responses["429"]["content"]
    assert schema["components"]["securitySchemes"]["ApiKeyAuth"]["scheme"] == "bearer"


def test_the_docs_page_loads_only_our_own_files_and_no_inline_script(db):
    response = Client().get("/api/v1/docs")
    assert response.status_code == 200
    page = response.content.decode()
    csp = response["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "script-src 'self'" in csp
    assert not re.search(r"https?://", page), "the docs page names an external address"
    references = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert any(ref.endswith("swagger-ui-bundle.js") for ref in references)
    for ref in references:
        assert ref.startswith("/static/"), ref
        served = Client().get(ref)
        served.close()  # a file response
        assert served.status_code == 200, ref
    # Every script is a file or a data block; none runs inline.
    for attributes, body in re.findall(r"<script([^>]*)>(.*?)</script>", page, re.S):
        assert "src=" in attributes or 'type="application/json"' in attributes, attributes
        assert "src=" not in attributes or not body.strip()
    assert "<style" not in page and "style=" not in page


def test_every_schema_of_the_api_has_a_name_of_its_own():
    """The description keys schemas by class name: two ``MessageOut`` made one of them
    describe the other's answers (schemathesis found orders' messages "breaking" it)."""
    import inspect

    from ninja import Schema

    import api.v1 as package

    seen: dict[str, str] = {}
    for name in package.__dict__:
        module = getattr(package, name)
        if not inspect.ismodule(module):
            continue
        for cls_name, cls in vars(module).items():
            if (
                inspect.isclass(cls)
                and issubclass(cls, Schema)
                and cls.__module__ == module.__name__
            ):
                assert seen.setdefault(cls_name, module.__name__) == module.__name__, cls_name
