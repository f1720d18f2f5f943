"""Debian's ``linphonec`` as the end user's softphone, headless, on loopback.

One instance per test: its state under its own ``HOME``, its control socket
(``linphonec-<uid>``) in its own ``TMPDIR``, which ``linphonecsh`` finds there. Started with
``--pipe`` (never prompts for a password) and stopped with ``linphonecsh exit``, which
unREGISTERs; killed by its PID only if it does not end.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
from pathlib import Path

from tests.conftest import require_service, wait_for

#: What ``linphonecsh status register`` prints, by outcome.
REGISTERED, FAILED, NO_ACCOUNT = "registered,", "registered=-1", "registered=0"


def missing() -> str:
    for program in ("linphonec", "linphonecsh"):
        if shutil.which(program) is None:
            return f"{program} is not installed (Debian package linphone-cli)"
    return ""


class Linphone:
    def __init__(self, workdir: Path, sip_port: int) -> None:
        self.workdir = workdir
        self.config = workdir / "linphonerc"
        self.log = workdir / "linphone.log"
        self.sip_port = sip_port
        # linphonec never starts its core without this directory (and does not create it).
        (workdir / "home" / ".local" / "share" / "linphone").mkdir(parents=True, exist_ok=True)
        self.env = {**os.environ, "HOME": str(workdir / "home"), "TMPDIR": str(workdir)}
        self.process: subprocess.Popen | None = None

    def provision_from(self, url: str) -> None:
        """Set the provisioning link, as scanning the QR code does: in a fresh phone's
        configuration, or into the one the phone kept (provisioning switched itself off)."""
        line = f"config-uri={url}\n"
        if not self.config.exists():
            self.config.write_text(
                f"[misc]\n{line}\n"
                f"[sip]\nsip_port={self.sip_port}\nsip_tcp_port=0\nsip_tls_port=0\n"
                "bind_address=127.0.0.1\nuse_ipv6=0\n\n"
                "[rtp]\nbind_address=127.0.0.1\n"
            )
            return
        text = self.config.read_text()
        assert "config-uri=" not in text, "the phone kept its provisioning link"
        if "[misc]\n" in text:
            text = text.replace("[misc]\n", f"[misc]\n{line}", 1)
        else:
            text += f"\n[misc]\n{line}"
        self.config.write_text(text)

    def start(self) -> None:
        assert self.process is None or self.process.poll() is not None
        with (self.workdir / "stdout.log").open("ab") as out:
            self.process = subprocess.Popen(
                ["linphonec", "--pipe", "-c", str(self.config), "-d", "6", "-l", str(self.log)],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=self.env,
            )
        socket_path = self.workdir / f"linphonec-{os.getuid()}"
        wait_for(socket_path.exists, timeout=20, what="linphonec's control socket")

    def command(self, *args: str) -> str:
        result = subprocess.run(
            ["linphonecsh", *args], capture_output=True, text=True, timeout=20, env=self.env
        )
        return result.stdout + result.stderr

    def status(self) -> str:
        return self.command("status", "register").strip()

    def settled(self, timeout: float = 30) -> str:
        """The registration's outcome once it has one: REGISTERED or FAILED (or NO_ACCOUNT
        when the phone has none after ``timeout``)."""

        def outcome() -> str:
            status = self.status()
            return status if status.startswith((REGISTERED, FAILED)) else ""

        try:
            return wait_for(outcome, timeout=timeout, what="linphonec's registration")
        except AssertionError:
            status = self.status()
            if status.startswith(NO_ACCOUNT):
                return status
            raise AssertionError(f"linphonec: {status}\n{self.log_tail()}") from None

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.command("exit")
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def linphone_in(workdir: Path) -> Linphone:
    why = missing()
    if why:
        require_service("linphone", False, why)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return Linphone(workdir, port)
