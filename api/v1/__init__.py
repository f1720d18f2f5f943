"""The JSON API, version 1, under ``/api/v1/``: an OpenAPI description at ``openapi.json``,
interactive docs at ``docs`` (Swagger UI from our own static files), bearer API keys, errors
as RFC 9457 problem JSON.

Endpoints only translate: they call the domain services and the policy, and turn refusals into
problems carrying the codes of :mod:`portal.errors`. One module per resource registers its
operations on :data:`api.v1.base.api`; importing them here puts them into the description.
"""

from api.v1 import (  # noqa: F401  (register their operations)
    numbers,
    orders,
    packages,
    trunks,
    workplace_actions,
    workplaces,
)
from api.v1.base import api

__all__ = ["api"]
