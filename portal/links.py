"""Links from Protokoll and Verlauf entries to the pages of what they name.

An event names its object (``object_type``, ``object_code``) and, when an order caused it, the
order (``details["order"]``). The portal sits below the apps that own those pages, so each of
them registers here, per object type, the page's URL name and which of a customer's codes have
a page (:func:`register`, from its ``AppConfig.ready``). Only the customer's own objects that
still have a page are linked; one query per object type on the page, whatever its size.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from urllib.parse import quote

from django.urls import reverse
from django.utils.http import RFC3986_SUBDELIMS

from portal.models import AuditEvent

#: (customer id, codes) -> the codes among them that belong to the customer and have a page.
Existing = Callable[[int, Collection[str]], set[str]]


@dataclass(frozen=True)
class _Target:
    url_name: str
    existing: Existing


_targets: dict[str, _Target] = {}


#: Stands for the code while a URL is reversed once (a path segment no code contains).
_MARK = "code-mark"


class Urls:
    """``reverse(name, args=[code])`` for the rows of a page: each URL name is reversed once
    and each row's code put in (resolving the pattern again for every row cost more than the
    rest of the row). Only for URLs whose one argument is a ``str`` code."""

    def __init__(self) -> None:
        self._patterns: dict[str, str] = {}

    def __call__(self, name: str, code) -> str:
        pattern = self._patterns.get(name)
        if pattern is None:
            pattern = self._patterns[name] = reverse(name, args=[_MARK])
        # Quoted as reverse() quotes an argument (the str converter takes no "/").
        return pattern.replace(_MARK, quote(str(code), safe=RFC3986_SUBDELIMS + "~:@"))


def register(object_type: str, url_name: str, existing: Existing) -> None:
    _targets[object_type] = _Target(url_name, existing)


def _order_code(event: AuditEvent) -> str | None:
    order = (event.details or {}).get("order")
    return str(order["code"]) if isinstance(order, dict) and order.get("code") else None


def attach(events: Iterable[AuditEvent], customer_id: int, *, here: str = "") -> list:
    """Give each event ``object_url`` (its object's page) and ``order_link`` (number and page
    of the order that caused it), or None; ``here``: the code of the page shown, not linked."""
    events = list(events)
    wanted: dict[str, set[str]] = {}
    for event in events:
        if event.object_type in _targets and event.object_code and event.object_code != here:
            wanted.setdefault(event.object_type, set()).add(event.object_code)
        order = _order_code(event)
        if order and "order" in _targets:
            wanted.setdefault("order", set()).add(order)
    found = {kind: _targets[kind].existing(customer_id, codes) for kind, codes in wanted.items()}
    urls = Urls()
    for event in events:
        event.object_url = None
        event.order_link = None
        if event.object_code in found.get(event.object_type, ()) and event.object_code != here:
            event.object_url = urls(_targets[event.object_type].url_name, event.object_code)
        order = _order_code(event)
        if order in found.get("order", ()) and event.object_type != "order":
            url = urls(_targets["order"].url_name, order)
            event.order_link = (event.details["order"].get("number") or "", url)
    return events
