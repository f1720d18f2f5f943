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
import tempfile
from pathlib import Path

from tests.conftest import require_service, wait_for

#: What ``linphonecsh status register`` prints: registered, or not (yet).
REGISTERED, FAILED = "registered,", "registered=-1"


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
        # A short directory of its own for the socket: a Unix socket path has 107 bytes at
        # most, and pytest's tmp_path can be longer.
        self.socket_dir = Path(tempfile.mkdtemp(prefix="lp-"))
        self.env = {**os.environ, "HOME": str(workdir / "home"), "TMPDIR": str(self.socket_dir)}
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
        wait_for(lambda: "registered" in self.status(), timeout=20, what="linphonec to answer")

    def command(self, *args: str) -> str:
        result = subprocess.run(
            ["linphonecsh", *args], capture_output=True, text=True, timeout=20, env=self.env
        )
        return result.stdout + result.stderr

    def status(self) -> str:
        return self.command("status", "register").strip()

    def registered(self, timeout: float = 30) -> bool:
        """Wait until linphonec says it is registered (its status shows -1 while trying)."""
        wait_for(lambda: REGISTERED in self.status(), timeout=timeout, what=self.log_tail())
        return True

    def failed(self, timeout: float = 30) -> bool:
        """Wait until the account's registration failed (the registrar refused it)."""
        wait_for(
            lambda: "to [LinphoneRegistrationFailed]" in self.log.read_text(errors="replace"),
            timeout=timeout,
            what="the registration to fail",
        )
        return FAILED in self.status() and REGISTERED not in self.status()

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

    def close(self) -> None:
        """Stop it, and remove its socket directory (pytest keeps ``workdir``)."""
        self.stop()
        shutil.rmtree(self.socket_dir, ignore_errors=True)


def linphone_in(workdir: Path) -> Linphone:
    why = missing()
    if why:
        require_service("linphone", False, why)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return Linphone(workdir, port)
