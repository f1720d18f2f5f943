"""What every backend shares: the E.164 form numbers come in, the errors callers tell apart
(try again later, or never) and the snapshot of what the registrar holds, which the check
compares.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

E164 = re.compile(r"^\+[1-9][0-9]{1,14}$")


class RegistrarUnavailable(Exception):
    """The registrar did not answer in time; trying again later may succeed.

    ``reason`` is one of ``RegistrarJob.Error``'s values (unreachable, timeout, rpc).
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class RegistrarError(Exception):
    """The registrar refused a change for good (a constraint, a missing table): no retry helps."""


@dataclass(frozen=True)
class Subscriber:
    username: str
    domain: str
    has_password: bool


@dataclass(frozen=True)
class Alias:
    alias: str
    username: str
    domain: str


@dataclass(frozen=True)
class Snapshot:
    """What the registrar holds, without any hash: only whether a password is set.

    ``subscribers``: the rows of the domain by username; ``elsewhere``: usernames that have
    rows only in other domains (with those domains); ``aliases``: the aliases of the domain
    by alias (normally one target each).
    """

    domain: str
    subscribers: dict[str, Subscriber] = field(default_factory=dict)
    elsewhere: dict[str, tuple[str, ...]] = field(default_factory=dict)
    aliases: dict[str, tuple[Alias, ...]] = field(default_factory=dict)
