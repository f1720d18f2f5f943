"""What every endpoint of ``/api/v1/`` shares: the NinjaAPI object, bearer API keys, errors
as RFC 9457 problem JSON, and the one pagination style (``page``/``page_size`` with totals)."""

from __future__ import annotations

import math
import time
from collections.abc import Mapping

from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer
from pydantic import Field

from api import services
from api.v1 import pointers
from portal import logs_http, policy
from portal.errors import GENERAL, Refusal
from portal.policy import Actor
from portal.ratelimit import RateLimited

PROBLEM_CONTENT_TYPE = "application/problem+json"


class ProblemEntry(Schema):
    code: str = Field(description="A stable code of portal.errors")
    field: str
    message: str
    params: dict
    pointer: str | None = Field(
        description="RFC 6901 JSON pointer of the field in the request body, e.g. "
        "`/first_name`; null when the problem is not in the body"
    )


class Problem(Schema):
    """RFC 9457 problem details; refusals carry one entry per problem in ``errors``."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str = ""
    errors: list[ProblemEntry] = []


class ProblemAPI(NinjaAPI):
    """Declares the 4xx answers as ``application/problem+json`` in the description, as they
    are sent."""

    def get_openapi_schema(self, *args, **kwargs):
        schema = super().get_openapi_schema(*args, **kwargs)
        for path in schema.get("paths", {}).values():
            for operation in path.values():
                for status, response in operation.get("responses", {}).items():
                    content = response.get("content", {})
                    if int(status) >= 400 and "application/json" in content:
                        content[PROBLEM_CONTENT_TYPE] = content.pop("application/json")
        return schema


class ApiKeyAuth(HttpBearer):
    """``Authorization: Bearer <key>``: the actor the key acts for, counted against its limit."""

    openapi_description = "An API key from the page API-Schlüssel."

    def authenticate(self, request: HttpRequest, token: str) -> Actor | None:
        found = services.authenticate(token)
        if found is None:
            return None
        api_key, actor = found
        services.count_request(api_key)
        request.api_key = api_key  # what Idempotency-Keys belong to
        logs_http.bind_api_key(request)
        return actor


api = ProblemAPI(
    title="SIP-Trunk Portal API",
    version="1",
    description="Die Daten der Portalseiten für Maschinen. Authentifizierung mit "
    "`Authorization: Bearer <API-Schlüssel>`; Fehler als RFC 9457 problem+json.",
    auth=ApiKeyAuth(),
    openapi_url="/openapi.json",
    docs_url="/docs",
    urls_namespace="api-v1",
)


def problem(
    request: HttpRequest,
    status: int,
    title: str,
    *,
    detail: str = "",
    errors: list[dict] | None = None,
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    if errors:
        body["errors"] = errors
    response = api.create_response(request, body, status=status)
    response["Content-Type"] = PROBLEM_CONTENT_TYPE
    for name, value in (headers or {}).items():
        response[name] = value
    return response


@api.exception_handler(AuthenticationError)
def unauthorized(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return problem(
        request,
        401,
        "Unauthorized",
        detail="Ein gültiger API-Schlüssel fehlt (Authorization: Bearer <Schlüssel>).",
        headers={"WWW-Authenticate": 'Bearer realm="api"'},
    )


@api.exception_handler(RateLimited)
def rate_limited(request: HttpRequest, exc: RateLimited) -> HttpResponse:
    retry_after = max(1, math.ceil(exc.retry_at.timestamp() - time.time()))
    return problem(
        request,
        429,
        "Too Many Requests",
        detail="Zu viele Anfragen mit diesem API-Schlüssel. Bitte später erneut versuchen.",
        headers={"Retry-After": str(retry_after)},
    )


@api.exception_handler(ValidationError)
def invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    if any(tuple(item.get("loc", ()))[:1] == ("header",) for item in exc.errors):
        return problem(
            request,
            400,
            "Bad Request",
            detail=_header_detail(exc.errors),
            errors=_entries(request, exc),
        )
    return problem(request, 422, "Unprocessable Content", errors=_entries(request, exc))


def _header_detail(errors: list) -> str:
    names = sorted(
        {str(item["loc"][1]) for item in errors if item.get("loc", ())[:1] == ("header",)}
    )
    return "Fehlende oder ungültige Kopfzeile: " + ", ".join(names)


def _entries(request: HttpRequest, exc: ValidationError) -> list[dict]:
    """One entry per validation error; a body field is named without the body parameter's
    name (ninja puts it first) and carries its JSON pointer, anything else none."""
    document = pointers.document_of(request)
    found = []
    for item in exc.errors:
        loc = tuple(item.get("loc") or ("",))
        parts = loc[2:] if loc[:1] == ("body",) else loc[1:]
        found.append(
            {
                "code": "invalid",
                "field": ".".join(str(part) for part in parts) or GENERAL,
                "message": str(item.get("msg", "")),
                "params": {},
                "pointer": pointers.of_location(document, loc),
            }
        )
    return found


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return problem(request, exc.status_code, str(exc.message))


def entries(refusal: Refusal, pointers: Mapping[str, str] | None = None) -> list[dict]:
    """The refusal's problems, each with the JSON pointer of its field in the request body
    (``pointers``: field -> pointer; a field not in it is not in the body)."""
    pointers = pointers or {}
    return [{**entry, "pointer": pointers.get(entry["field"])} for entry in refusal.as_list()]


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return problem(request, 404, "Not Found", errors=entries(policy.not_found()))


@api.exception_handler(Refusal)
def refused(
    request: HttpRequest, exc: Refusal, pointers: Mapping[str, str] | None = None
) -> HttpResponse:
    """A refusal as a problem; an endpoint with a body calls this with its fields' pointers."""
    status = 404 if exc.code == "not_found" else 403 if exc.code == "forbidden" else 422
    return problem(request, status, exc.message, errors=entries(exc, pointers))


class Paging(Schema):
    page: int = Field(1, ge=1, le=1_000_000, description="Die Seite, ab 1")
    page_size: int = Field(50, ge=1, le=200, description="Einträge je Seite")


def paged(items: QuerySet, paging: Paging) -> dict:
    """One page of ``items`` with the totals: the one pagination style of this API."""
    count = items.count()
    start = (paging.page - 1) * paging.page_size
    return {
        "count": count,
        "page": paging.page,
        "page_size": paging.page_size,
        "pages": math.ceil(count / paging.page_size),
        "items": list(items[start : start + paging.page_size]),
    }


PROBLEMS = {401: Problem, 422: Problem, 429: Problem}
