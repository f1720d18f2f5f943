"""Passwords do not pass through the outbox: :func:`set_password` writes the digest hashes
to the registrar at once, from the place where the password is made, before it is sent.
"""

from __future__ import annotations

from provisioning.backends import get_backend


def set_password(*, username: str, password: str) -> None:
    """Write the digest hashes of ``password`` to the registrar now (no-op without one).

    Raises :class:`RegistrarUnavailable` when it cannot: the caller must then not send the
    password, since it would not work on the registrar. Never logs the password or a hash.
    """
    get_backend().set_password(username=username, password=password)
