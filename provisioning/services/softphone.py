"""A softphone's account, read from the registrar when the client asks for it.

The ``ha1`` comes from the registrar's own row at that moment, so it is always the one of
the current password, and the portal never stores it.
"""

from __future__ import annotations

from django.conf import settings

from provisioning.backends import get_backend
from provisioning.softphone import SoftphoneAccount


class NoCredentials(Exception):
    """No SIP server is connected, or it holds no password for the username."""


def sip_proxy() -> str:
    """Where clients send their requests: ``SIP_PROXY``, or ``sip:<SIP_DOMAIN>``."""
    backend = get_backend()
    return settings.SIP_PROXY or (f"sip:{backend.domain}" if backend.domain else "")


def softphone_account(*, username: str, display_name: str = "") -> SoftphoneAccount:
    """The account of ``username`` with its current ``ha1``.

    Raises :class:`NoCredentials` without a registrar or a password there, and
    :class:`~provisioning.backends.RegistrarUnavailable` when the registrar does not answer.
    """
    backend = get_backend()
    if not backend.connected:
        raise NoCredentials("no SIP server is connected")
    ha1 = backend.ha1(username=username)
    if not ha1:
        raise NoCredentials("the registrar holds no password for this username")
    return SoftphoneAccount(
        proxy=sip_proxy(),
        username=username,
        domain=backend.domain,
        realm=backend.realm,
        ha1=ha1,
        display_name=display_name,
    )
