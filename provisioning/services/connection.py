"""Which registrar is connected: whether there is one, and the SIP domain clients use."""

from __future__ import annotations

from provisioning.backends import get_backend


def is_connected() -> bool:
    """Whether a SIP registrar is connected (False with ``PROVISIONING_BACKEND=none``)."""
    return get_backend().connected


def sip_domain() -> str:
    """The SIP domain (and digest realm) clients register at; empty without a registrar."""
    return get_backend().domain
