"""The hasher of the temporary passwords the portal makes itself, cheap because they are random.

A temporary password (``notifications.messages.temporary_password``) is 12 characters drawn
with :mod:`secrets` from 56 letters and digits: about 69.7 bits of entropy. Guessing one from
its stored hash means trying half of 2**69.7 candidates on average, whatever the hash costs per
try; a chosen password, which may be guessable, is what Argon2's cost protects. So a temporary
password is stored as salted PBKDF2-SHA256 with few iterations (well under a millisecond),
where Argon2 takes about 0.25 s of CPU: a 5,000-person order would spend over 20 minutes of
CPU on hashes that protect nothing more. The SIP registrar stores the same password as its
digest ``ha1`` (one MD5 of username, realm and password) anyway, a cheaper target than this.

A password the user chooses is hashed by the default hasher (``PASSWORD_HASHERS[0]``,
Argon2), and the first login with a temporary password re-hashes it that way too (Django
updates a hash made by another than the preferred hasher).
"""

from __future__ import annotations

from django.contrib.auth.hashers import (
    BasePasswordHasher,
    PBKDF2PasswordHasher,
    get_hasher,
    get_hashers_by_algorithm,
    make_password,
)


class TemporaryPasswordHasher(PBKDF2PasswordHasher):
    """PBKDF2-SHA256 with 1,000 iterations, for the portal's random temporary passwords only."""

    algorithm = "pbkdf2_sha256_temporary"
    iterations = 1000


def temporary_hasher() -> BasePasswordHasher:
    """The hasher of temporary passwords, if the settings list it (so its hashes can be
    checked), else the default hasher."""
    if TemporaryPasswordHasher.algorithm in get_hashers_by_algorithm():
        return get_hasher(TemporaryPasswordHasher.algorithm)
    return get_hasher("default")


def hash_temporary_password(raw_password: str) -> str:
    """The stored form of a temporary password the portal generated (never a chosen one)."""
    return make_password(raw_password, hasher=temporary_hasher())


def is_temporary_hash(encoded: str) -> bool:
    return encoded.startswith(TemporaryPasswordHasher.algorithm + "$")


def even_out(raw_password: str, encoded: str) -> None:
    """After a refused check of ``encoded``: hash once with the default hasher if the check was
    a temporary password's cheap one, so a refusal takes as long for every kind of password."""
    if is_temporary_hash(encoded):
        make_password(raw_password)
