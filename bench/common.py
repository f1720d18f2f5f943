"""Helpers shared by the benchmarks: the venv, settings, the bench database, child processes.

Import this module first: started with a Python outside the project's venv, it re-starts the
benchmark with ``.venv/bin/python``.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
VENV_PYTHON = BASE_DIR / ".venv" / "bin" / "python"

try:
    import django
    import psycopg
    from psycopg import sql
except ImportError:  # started with a Python outside the project's venv
    if VENV_PYTHON.exists() and Path(sys.prefix).resolve() != VENV_PYTHON.parent.parent.resolve():
        os.execv(VENV_PYTHON, [str(VENV_PYTHON), *sys.argv])  # noqa: S606 (our own venv)
    raise

HOST = "127.0.0.1"
#: Settings read from the environment; removed so that the caller's shell cannot change the run.
SETTINGS_VARIABLES = (
    "DJANGO_SETTINGS_MODULE",
    "DJANGO_DEBUG",
    "SECRET_KEY",
    "PORTAL_BASE_URL",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "DATABASE_URL",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_PRELOAD",
    "BEHIND_TLS_PROXY",
    "DEFAULT_FROM_EMAIL",
    "SMTP_HOST",
    "MAIL_BACKEND",
    "SMTP_PORT",
    "SMTP_USER",
    "SMTP_PASSWORD",
    "SMTP_TLS",
    "SMTP_TIMEOUT",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "TWILIO_FROM",
    "TWILIO_API_BASE_URL",
    "TWILIO_TIMEOUT",
    "SMS_BACKEND",
    "NOTIFICATION_RETRY_BASE_SECONDS",
    "NOTIFICATION_RETRY_MAX_SECONDS",
    "REDIS_URL",
    "DRAFT_IDLE_HOURS",
    "LOG_LEVEL",
    "BENCH_PROFILE_DIR",
)
#: Passed on to child processes from the caller's environment; everything else is left out.
PASSED_VARIABLES = ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR")


class BenchError(Exception):
    """The benchmark cannot go on; the message says why."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def recreate_database(postgres: str, name: str) -> str:
    """Drop and create the bench database; the server's version."""
    try:
        with psycopg.connect(f"{postgres}/postgres", autocommit=True, connect_timeout=5) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            return conn.execute("SHOW server_version").fetchone()[0]
    except psycopg.Error as exc:
        raise BenchError(f"PostgreSQL at {postgres}: {exc}") from exc


def setup_django(env: dict[str, str]) -> None:
    """Django in this process with exactly ``env`` as its settings variables."""
    for name in SETTINGS_VARIABLES:
        os.environ.pop(name, None)
    os.environ.update(env)
    # First on the path, so that the apps win over bench/*.py (bench/notifications.py!).
    sys.path.insert(0, str(BASE_DIR))
    django.setup()


def venv_script(name: str) -> list[str]:
    """The command of a console script of this Python's environment (gunicorn, celery)."""
    script = Path(sys.executable).parent / name
    return [str(script)] if script.exists() else [sys.executable, "-m", name]


class Child:
    """A server as a child process in its own session; stopped on exit, error or Ctrl-C.

    Its own session keeps Ctrl-C away from it: the benchmark gets the signal and stops it.
    Output goes to ``log``, which is deleted at the end unless ``keep_log`` is still true
    (it starts true, so that the log of a failed run is kept for a look).
    """

    def __init__(self, name: str, command: list[str], env: dict[str, str], log: Path) -> None:
        child_env = {k: os.environ[k] for k in PASSED_VARIABLES if k in os.environ}
        child_env.update(env)
        self.name = name
        self.log = log
        self.keep_log = True
        self._log_file = log.open("wb")
        self.process = subprocess.Popen(
            command,
            cwd=BASE_DIR,
            env=child_env,
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def check_running(self) -> None:
        if self.process.poll() is not None:
            raise BenchError(f"{self.name} exited with {self.process.returncode}\n{self.tail()}")

    def stop(self, timeout: float = 15) -> None:
        """SIGTERM, then SIGKILL for the whole process group if it does not end in time."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill_group()
                self.process.wait(timeout=5)
        self.kill_group()  # helpers left behind by a parent that died (e.g. pool processes)
        self._log_file.close()
        if not self.keep_log:
            self.log.unlink(missing_ok=True)

    def kill_group(self) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)  # its own session: pgid == pid

    def cpu_seconds(self, *, own: bool = False, children: bool = True) -> float | None:
        """User and system CPU seconds so far of the process (``own``) and its children.

        Read from Linux ``/proc``; None elsewhere or when a process has gone.
        """
        pid = self.process.pid
        try:
            pids = [str(pid)] if own else []
            if children:
                pids += Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
            ticks = 0
            for each in pids:
                fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
                ticks += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, ValueError, IndexError):
            return None
        return ticks / os.sysconf("SC_CLK_TCK")

    def tail(self, lines: int = 30) -> str:
        self._log_file.flush()
        text = self.log.read_text(errors="replace").splitlines()
        return "\n".join(f"  {self.name} | " + line for line in text[-lines:])


class Redis(Child):
    def __init__(self, port: int, workdir: Path, log: Path) -> None:
        command = ["redis-server", "--bind", HOST, "--port", str(port), "--save", ""]
        command += ["--appendonly", "no", "--dir", str(workdir)]
        command += ["--maxmemory-policy", "noeviction", "--protected-mode", "yes"]
        super().__init__("redis", command, {}, log)
        self.url = f"redis://{HOST}:{port}/0"

    def wait_ready(self, seconds: float = 10) -> str:
        """Wait for PING; the server's version."""
        import redis

        client = redis.Redis.from_url(self.url, socket_timeout=1)
        deadline = time.monotonic() + seconds
        try:
            while time.monotonic() < deadline:
                self.check_running()
                with contextlib.suppress(redis.RedisError):
                    client.ping()
                    return client.info("server")["redis_version"]
                time.sleep(0.05)
        finally:
            client.close()
        raise BenchError(f"redis-server did not answer within {seconds:.0f} s\n{self.tail()}")


class Worker(Child):
    def __init__(self, env: dict[str, str], concurrency: int, log: Path) -> None:
        command = [*venv_script("celery"), "-A", "portal", "worker"]
        command += ["--concurrency", str(concurrency), "--pool", "prefork", "-Q", "celery"]
        super().__init__("celery", command, env, log)

    def wait_ready(self, seconds: float = 60, broker: str | None = None) -> None:
        """Until the worker answers a ping through the broker (the settings' or ``broker``)."""
        if broker:
            from celery import Celery

            app = Celery("bench", broker=broker)
        else:
            from portal.celery import app

        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.check_running()
            if app.control.ping(timeout=0.5):
                return
        raise BenchError(f"the Celery worker did not answer within {seconds:.0f} s\n{self.tail()}")


def settings_env(database_url: str) -> dict[str, str]:
    """Production settings (no DEBUG, a fresh key); the test Client's host is allowed."""
    return {
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": database_url,
        "ALLOWED_HOSTS": "testserver",
        "SECURE_SSL_REDIRECT": "false",
        "LOG_LEVEL": "WARNING",
        # No mail or SMS server: the development outbox, which production settings want named.
        "MAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "SMS_BACKEND": "notifications.sms.FileSmsBackend",
    }


def run_with_children(run, children: list[Child]) -> int:
    """``run()`` (which appends the servers it starts to ``children``); the exit status.

    A :class:`BenchError` is printed with the children's logs; they are stopped at the end,
    the last started first.
    """
    try:
        run()
        return 0
    except BenchError as exc:
        print(f"\nFAILED: {exc}", file=sys.stderr)
        for child in children:
            print(f"(log of {child.name}: {child.log})", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    finally:
        for child in reversed(children):
            with contextlib.suppress(subprocess.SubprocessError, OSError):
                child.stop()
