"""Strict readers for environment variables.

Every setting comes from the environment. A value that cannot be understood stops start-up
with an ``ImproperlyConfigured`` error that names the variable, instead of a silent default.
"""

from __future__ import annotations

import ipaddress
import os
import re
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip()


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}.")


def env_int(name: str, default: int, *, minimum: int = 0, maximum: int = 2**31) -> int:
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    try:
        number = int(value.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from None
    if not minimum <= number <= maximum:
        raise ImproperlyConfigured(f"{name} must be between {minimum} and {maximum}.")
    return number


def env_seconds(name: str, default: float, *, minimum: float, maximum: float) -> float:
    """A duration in seconds, whole or decimal (``5``, ``0.5``), within the given bounds."""
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    try:
        number = float(value.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number of seconds, not {value!r}.") from None
    if not minimum <= number <= maximum:  # also refuses nan
        raise ImproperlyConfigured(f"{name} must be between {minimum:g} and {maximum:g} seconds.")
    return number


def env_url(name: str, default: str | None = None, *, schemes: tuple[str, ...]) -> str | None:
    value = env_str(name, default)
    if not value:
        return default
    parts = urlsplit(value)
    if parts.scheme not in schemes:
        allowed = ", ".join(schemes)
        raise ImproperlyConfigured(f"{name} must be a URL starting with one of: {allowed}.")
    if parts.scheme.startswith("http") and not parts.netloc:
        raise ImproperlyConfigured(f"{name} must name a host.")
    return value.rstrip("/")


def env_list(name: str, default: list[str]) -> list[str]:
    value = env_str(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


type Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def env_networks(name: str) -> tuple[Network, ...]:
    """Comma-separated IP addresses or networks (CIDR), IPv4 or IPv6; none when unset.

    An address stands for itself (a /32 or /128). A network with host bits set
    (``10.0.0.1/8``) is refused rather than guessed at.
    """
    networks = []
    for item in env_list(name, []):
        try:
            networks.append(ipaddress.ip_network(item))
        except ValueError as exc:
            raise ImproperlyConfigured(
                f"{name} must list IP addresses or networks (CIDR) separated by commas: {exc}."
            ) from None
    return tuple(networks)


#: The loopback networks, IPv4 and IPv6.
LOOPBACK: tuple[Network, ...] = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1"))


def env_token(name: str, *, min_length: int) -> str:
    """A secret compared with what a client sends; '' when unset, refused when short."""
    value = env_str(name) or ""
    if value and len(value) < min_length:
        raise ImproperlyConfigured(f"{name} must be at least {min_length} characters long.")
    return value


#: A SIP URI a client sends its REGISTER to: ``sip:`` or ``sips:``, a host name, an IPv4
#: address or a bracketed IPv6 address, an optional port and an optional transport.
_SIP_URI = re.compile(
    r"sips?:(?P<host>[a-z0-9]([a-z0-9.-]*[a-z0-9])?|\[[0-9a-f:.]+\])(:(?P<port>[0-9]{1,5}))?"
    r"(;transport=(udp|tcp|tls))?",
    re.IGNORECASE,
)


def env_sip_uri(name: str) -> str:
    """A SIP URI such as ``sip:sip.example.net;transport=tls``; '' when unset.

    No user part, no other parameters: the value is where clients send their requests.
    """
    value = env_str(name) or ""
    if not value:
        return ""
    match = _SIP_URI.fullmatch(value)
    if match is None or (match["port"] and not 0 < int(match["port"]) < 65536):
        raise ImproperlyConfigured(
            f"{name} must be a SIP URI like sip:sip.example.net;transport=tls "
            f"(sip: or sips:, a host, an optional port and transport=udp, tcp or tls), "
            f"not {value!r}."
        )
    return value
