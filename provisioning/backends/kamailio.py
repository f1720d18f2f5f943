"""``PROVISIONING_BACKEND=kamailio``: Kamailio's own database (auth_db ``subscriber``,
alias_db ``dbaliases``) under the portal's advisory locks (one per username and number, the
portal's own held shared), on one kept connection per thread, and its JSON-RPC for contacts.

``ha1`` values are computed here (:func:`digest_hashes`), sent as query parameters and never
logged or returned.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
import urllib.request
from collections.abc import Callable, Iterable, Iterator

import psycopg
from django.core.exceptions import ImproperlyConfigured
from psycopg import errors

from provisioning.backends.base import (
    E164,
    Alias,
    RegistrarError,
    RegistrarUnavailable,
    Snapshot,
    Subscriber,
)

#: pg_advisory_xact_lock key: every write of the portal to the registrar holds it shared, so
#: whoever takes it exclusively (an operator's maintenance) stops them all.
LOCK_KEY = 0x5349_5054  # "SIPT"
#: The first half of a username's own lock (the second is ``hashtext(username)``): two
#: workers never interleave their changes of one subscriber and its alias, while changes of
#: different subscribers run side by side.
USER_LOCK_KEY = 0x5349_5055


def digest_hashes(*, username: str, domain: str, realm: str, password: str) -> tuple[str, str]:
    """``ha1`` and ``ha1b`` as auth_db reads them (RFC 2617 HA1, defined with MD5)."""

    def md5(text: str) -> str:
        return hashlib.md5(text.encode()).hexdigest()  # noqa: S324 - SIP digest is MD5

    return (
        md5(f"{username}:{realm}:{password}"),
        md5(f"{username}@{domain}:{realm}:{password}"),
    )


class _Kept:
    """A thread's kept connection: closed when the thread (or the backend) is gone."""

    def __init__(self, connection: psycopg.Connection) -> None:
        self.connection = connection

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.connection.close()


class KamailioBackend:
    """Kamailio's database (auth_db ``subscriber``, alias_db ``dbaliases``) and its RPC."""

    connected = True

    def __init__(self, *, database_url: str, domain: str, rpc_url: str | None, timeout: int):
        self.database_url = database_url
        self.domain = domain
        self.realm = domain
        self.rpc_url = rpc_url
        self.timeout = timeout
        self._local = threading.local()

    # --- connections ------------------------------------------------------------------

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except (errors.QueryCanceled, errors.LockNotAvailable, errors.ConnectionTimeout):
            raise RegistrarUnavailable(
                "timeout", "the registrar database did not answer in time"
            ) from None
        except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
            # The message names host and port, never the password of the URL.
            raise RegistrarUnavailable(
                "unreachable", f"the registrar database is unreachable ({type(exc).__name__})"
            ) from None

    def _connect(self) -> psycopg.Connection:
        milliseconds = self.timeout * 1000
        return psycopg.connect(
            self.database_url,
            connect_timeout=self.timeout,
            application_name="sip-trunk-portal",
            options=f"-c statement_timeout={milliseconds} -c lock_timeout={milliseconds}",
        )

    def _connection(self) -> psycopg.Connection:
        """This thread's connection, kept between transactions (a worker runs thousands of
        jobs: a new connection for each cost more than the job). A broken one is replaced."""
        kept = getattr(self._local, "kept", None)
        if kept is None or kept.connection.closed or kept.connection.broken:
            kept = self._local.kept = _Kept(self._connect())
        return kept.connection

    def close(self) -> None:
        """Close this thread's kept connection (the next transaction opens a new one)."""
        kept, self._local.kept = getattr(self._local, "kept", None), None
        if kept is not None:
            kept.connection.close()

    @contextlib.contextmanager
    def transaction(self, usernames: Iterable[str] = ()) -> Iterator[None]:
        """One registrar transaction; methods called inside share it.

        It holds the portal's lock shared and the lock of each of ``usernames`` (taken in a
        fixed order, so two batches cannot deadlock); each method takes its username's lock
        too. Contacts are dropped after the commit: before it, Kamailio still sees the row and
        a client could register again in between.
        """
        if getattr(self._local, "cursor", None) is not None:
            yield
            return
        after_commit: list[Callable[[], None]] = []
        with self._errors():
            connection = self._connection()
        try:
            with self._errors(), connection.transaction(), connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock_shared(%s)", [LOCK_KEY])
                self._local.cursor, self._local.after_commit = cursor, after_commit
                try:
                    self._lock(*usernames)
                    yield
                finally:
                    self._local.cursor = self._local.after_commit = None
        except BaseException:
            self.close()  # after an error the session's state is unknown: start afresh
            raise
        for action in after_commit:
            action()

    def _lock(self, *names: str) -> None:
        """The locks of these usernames (or numbers: an alias moves between usernames), in
        sorted order as everywhere; one already held by this transaction is held again."""
        for name in sorted(set(names)):
            self._cursor().execute(
                "SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [USER_LOCK_KEY, name]
            )

    def _cursor(self):
        cursor = getattr(self._local, "cursor", None)
        if cursor is None:
            raise RuntimeError("registrar statements run inside backend.transaction()")
        return cursor

    def _after_commit(self, action: Callable[[], None]) -> None:
        self._local.after_commit.append(action)

    # --- the interface ----------------------------------------------------------------

    def ensure_subscriber(self, *, username: str, e164: str | None) -> bool:
        """The row (with empty hashes when new; existing hashes stay) and the number's alias.

        Returns whether anything changed.
        """
        if e164 and not E164.match(e164):
            raise ValueError("e164 must be a number in E.164 form, with '+'")
        with self.transaction():
            self._lock(username, *([e164] if e164 else []))
            cursor = self._cursor()
            cursor.execute(
                "INSERT INTO subscriber (username, domain, password, ha1, ha1b)"
                " VALUES (%s, %s, '', '', '') ON CONFLICT (username, domain) DO NOTHING",
                [username, self.domain],
            )
            changed = cursor.rowcount > 0
            # dbaliases has no unique constraint: the locks keep this read-then-write safe
            # (a number's alias moves only with its workplaces' jobs, one username's at a time).
            cursor.execute(
                "SELECT id, alias_username, username, domain FROM dbaliases"
                " WHERE alias_domain = %s AND (alias_username = %s"
                " OR (username = %s AND domain = %s)) ORDER BY id",
                [self.domain, e164 or "", username, self.domain],
            )
            rows = cursor.fetchall()
            wanted = [(e164, username, self.domain)] if e164 else []
            if [tuple(row[1:]) for row in rows] != wanted:
                cursor.execute("DELETE FROM dbaliases WHERE id = ANY(%s)", [[r[0] for r in rows]])
                if e164:
                    cursor.execute(
                        "INSERT INTO dbaliases (alias_username, alias_domain, username, domain)"
                        " VALUES (%s, %s, %s, %s)",
                        [e164, self.domain, username, self.domain],
                    )
                changed = True
        return changed

    def set_password(self, *, username: str, password: str) -> None:
        """Store the digest hashes of a new password (creating the row if needed)."""
        ha1, ha1b = digest_hashes(
            username=username, domain=self.domain, realm=self.realm, password=password
        )
        with self.transaction():
            self._lock(username)
            try:
                self._cursor().execute(
                    "INSERT INTO subscriber (username, domain, password, ha1, ha1b)"
                    " VALUES (%s, %s, '', %s, %s) ON CONFLICT (username, domain)"
                    " DO UPDATE SET password = '', ha1 = EXCLUDED.ha1, ha1b = EXCLUDED.ha1b",
                    [username, self.domain, ha1, ha1b],
                )
            except (psycopg.OperationalError, psycopg.InterfaceError):
                raise
            except psycopg.Error as exc:
                # PostgreSQL's detail can quote the failing row, hashes included: drop it.
                raise RegistrarError(
                    f"the registrar refused the password hashes (SQLSTATE {exc.sqlstate})"
                ) from None

    def ha1(self, *, username: str) -> str:
        """The subscriber's stored ``ha1`` ('' without a row or a password), for a softphone
        that authenticates with it instead of the password. Never logged."""
        with self._errors():
            connection = self._connect()
            try:
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT ha1 FROM subscriber WHERE username = %s AND domain = %s",
                        [username, self.domain],
                    )
                    row = cursor.fetchone()
            finally:
                connection.close()
        return (row[0] or "") if row else ""

    def remove_subscriber(self, *, username: str) -> bool:
        """Delete the row and its aliases, then drop its registered contacts.

        Returns whether a row or an alias was deleted. Without ``KAMAILIO_RPC_URL``
        registered contacts stay until they expire, but can neither register again nor
        call (both need the deleted credentials), and the number no longer leads to them.
        """
        with self.transaction():
            self._lock(username)
            cursor = self._cursor()
            cursor.execute(
                "DELETE FROM subscriber WHERE username = %s AND domain = %s",
                [username, self.domain],
            )
            changed = cursor.rowcount > 0
            cursor.execute(
                "DELETE FROM dbaliases WHERE username = %s AND domain = %s",
                [username, self.domain],
            )
            changed = changed or cursor.rowcount > 0
            if self.rpc_url:
                self._after_commit(lambda: self.drop_contacts(username=username))
        return changed

    def drop_contacts(self, *, username: str) -> None:
        """``ul.rm location user@domain``: Kamailio answers alike whether there were any.

        A contact already written to the database stays listed by ``ul.dump`` as "deleted"
        until usrloc's next write, but no lookup finds it from now on.
        """
        self.rpc("ul.rm", ["location", f"{username}@{self.domain}"])

    def rpc(self, method: str, params: list) -> object:
        if not self.rpc_url:
            raise ImproperlyConfigured("KAMAILIO_RPC_URL is not set.")
        body = json.dumps({"jsonrpc": "2.0", "method": method, "params": params, "id": 1})
        request = urllib.request.Request(  # noqa: S310 - the setting allows http(s) only
            self.rpc_url,
            data=body.encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                answer = json.load(response)
        except (OSError, ValueError) as exc:  # URLError, timeouts, refused, garbage
            raise RegistrarUnavailable(
                "rpc", f"the registrar RPC did not answer ({type(exc).__name__})"
            ) from None
        if "error" in answer:
            error = answer["error"] or {}
            raise RegistrarUnavailable(
                "rpc", f"the registrar RPC refused {method}: {error.get('message', '')[:100]}"
            )
        return answer.get("result")

    def snapshot(self) -> Snapshot:
        with self._errors():
            connection = self._connect()
            try:
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT username, domain, ha1 <> '' AND ha1b <> '' FROM subscriber"
                    )
                    rows = cursor.fetchall()
                    cursor.execute(
                        "SELECT alias_username, username, domain FROM dbaliases"
                        " WHERE alias_domain = %s ORDER BY id",
                        [self.domain],
                    )
                    alias_rows = cursor.fetchall()
            finally:
                connection.close()
        subscribers = {
            username: Subscriber(username, domain, bool(has_password))
            for username, domain, has_password in rows
            if domain == self.domain
        }
        elsewhere: dict[str, tuple[str, ...]] = {}
        for username, domain, _has_password in rows:
            if domain != self.domain and username not in subscribers:
                elsewhere[username] = (*elsewhere.get(username, ()), domain)
        aliases: dict[str, tuple[Alias, ...]] = {}
        for alias, username, domain in alias_rows:
            aliases[alias] = (*aliases.get(alias, ()), Alias(alias, username, domain))
        return Snapshot(self.domain, subscribers, elsewhere, aliases)
