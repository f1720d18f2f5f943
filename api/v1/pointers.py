"""RFC 6901 JSON pointers of the request's fields, for the ``pointer`` of a problem entry."""

from __future__ import annotations

import json

from django.http import HttpRequest


def document_of(request: HttpRequest) -> object:
    """The request's JSON body, or None."""
    try:
        return json.loads(request.body)
    except Exception:  # no JSON, or a body already read as a stream
        return None


def escaped(part: object) -> str:
    return str(part).replace("~", "~0").replace("/", "~1")


def pointer(*parts: object) -> str:
    """The pointer of ``parts``: ``("items", 0, "name")`` is ``/items/0/name``."""
    return "".join("/" + escaped(part) for part in parts)


def of_location(document: object, loc: tuple) -> str | None:
    """The pointer of a validation error's location in ``document``: ``("body", "payload",
    "items", 2, "deletion", "workplace")`` is ``/items/2/workplace`` (a union's tag, which
    pydantic puts into the location, is no member of the document); "" is the whole document,
    None a problem outside the body (a header, the query, the path)."""
    if loc[:1] != ("body",):
        return None
    parts, node = [], document
    path = loc[2:]
    for index, part in enumerate(path):
        last = index == len(path) - 1
        if isinstance(node, dict) and part not in node and not last:
            continue
        parts.append(part)
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            node = None
    return pointer(*parts)
