"""The registrar seam: ``PROVISIONING_BACKEND`` chooses where SIP credentials go.

* ``none``: no SIP server is connected; every call does nothing (``connected`` is False).
* ``kamailio``: Kamailio's own PostgreSQL database (``KAMAILIO_DATABASE_URL``), tables
  ``subscriber`` (auth_db) and ``dbaliases`` (alias_db), for the domain ``SIP_DOMAIN``, which
  is also the digest realm; registered contacts are dropped over JSON-RPC
  (``KAMAILIO_RPC_URL``, method ``ul.rm``) when that is configured.

Aliases map the number in E.164 *with* its leading ``+`` (``alias_username``, e.g.
``+4922818123410``) in ``SIP_DOMAIN`` to the username; ``deploy/kamailio/kamailio.cfg``
turns ``00…`` and bare international numbers into that form before it looks them up.

Every method is idempotent. Trouble reaching the registrar (refused or timed-out
connection, a statement or lock timeout, the RPC not answering) raises
:class:`RegistrarUnavailable`, so callers can try again later. ``ha1`` values and passwords
are computed here, sent to the database as query parameters and never logged or returned.

The modules: :mod:`.base` (errors, snapshot), :mod:`.none`, :mod:`.kamailio`; this one
chooses between them. Callers import from here.
"""

from __future__ import annotations

import logging
from functools import cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from provisioning.backends.base import (
    E164,
    Alias,
    RegistrarError,
    RegistrarUnavailable,
    Snapshot,
    Subscriber,
)
from provisioning.backends.kamailio import LOCK_KEY, KamailioBackend, digest_hashes
from provisioning.backends.none import NoBackend

__all__ = [
    "E164",
    "LOCK_KEY",
    "Alias",
    "Backend",
    "KamailioBackend",
    "NoBackend",
    "RegistrarError",
    "RegistrarUnavailable",
    "Snapshot",
    "Subscriber",
    "digest_hashes",
    "get_backend",
]


log = logging.getLogger(__name__)

Backend = NoBackend | KamailioBackend


def get_backend() -> Backend:
    """The backend the settings name; a wrong value is a configuration error naming it."""
    return _backend(
        settings.PROVISIONING_BACKEND,
        settings.KAMAILIO_DATABASE_URL,
        settings.SIP_DOMAIN,
        settings.KAMAILIO_RPC_URL,
        settings.KAMAILIO_TIMEOUT,
    )


@cache
def _backend(
    name: str, database_url: str | None, domain: str, rpc_url: str | None, timeout: int
) -> Backend:
    if name == "none":
        return NoBackend()
    if name != "kamailio":
        raise ImproperlyConfigured(f"PROVISIONING_BACKEND must be none or kamailio, not {name!r}.")
    if not database_url or not database_url.startswith(("postgres://", "postgresql://")):
        raise ImproperlyConfigured(
            "KAMAILIO_DATABASE_URL must be a postgres:// URL with PROVISIONING_BACKEND=kamailio."
        )
    if not domain:
        raise ImproperlyConfigured("SIP_DOMAIN must be set with PROVISIONING_BACKEND=kamailio.")
    return KamailioBackend(
        database_url=database_url, domain=domain, rpc_url=rpc_url, timeout=timeout
    )
