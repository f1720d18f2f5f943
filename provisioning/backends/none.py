"""``PROVISIONING_BACKEND=none``: no SIP server connected; every call does nothing."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator

from provisioning.backends.base import Snapshot


class NoBackend:
    """No SIP server connected: activation stays in the portal."""

    connected = False
    domain = ""

    @contextlib.contextmanager
    def transaction(self, usernames: Iterable[str] = ()) -> Iterator[None]:
        yield

    def ensure_subscriber(self, *, username: str, e164: str | None) -> bool:
        return False

    def set_password(self, *, username: str, password: str) -> None:
        return None

    def ha1(self, *, username: str) -> str:
        return ""

    def remove_subscriber(self, *, username: str) -> bool:
        return False

    def snapshot(self) -> Snapshot:
        return Snapshot(domain="")
