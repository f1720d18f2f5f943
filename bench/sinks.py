"""The SMTP sink and the Twilio stand-in of bench/notifications.py and bench/soak.py.

One child process (this module run as a script) with an SMTP server (aiosmtpd) and a
stand-in for Twilio's Messages API (``POST /2010-04-01/Accounts/<sid>/Messages.json``
answers 201 with a ``sid``; it checks the account, the Basic auth and ``From``). Both count
what they receive: e-mails by recipient and subject, SMS by recipient
(``GET /_bench/stats``, ``POST /_bench/reset``). ``POST /_bench/fault`` with ``smtp`` (a 4xx
or 5xx code) and ``sms`` (429 or 500) makes them refuse everything with that answer until
it is set back to 0.
"""

from __future__ import annotations

import base64
import collections
import contextlib
import json
import re
import signal
import sys
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import common  # noqa: F401 (first: re-starts with the project's venv if needed)
import requests
from common import HOST, BenchError, Child, free_port

TWILIO_FROM = "+4930123456789"
SMS_PATH = re.compile(r"/2010-04-01/Accounts/(AC[0-9a-f]{32})/Messages\.json")


# --- The SMTP server and the Twilio stand-in (a child process of their own) --------------------


class Tally:
    """What the servers received: e-mails by (recipient, subject), SMS by recipient."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.emails: collections.Counter[tuple[str, str]] = collections.Counter()
            self.sms: collections.Counter[str] = collections.Counter()
            self.errors: list[str] = []
            #: Faults that bench/soak.py switches on: the SMTP reply code to DATA (a 4xx or
            #: 5xx instead of 250) and Twilio's HTTP status (429 or 500 instead of 201).
            self.smtp_fault = 0
            self.sms_fault = 0
            self.refused: collections.Counter[str] = collections.Counter()

    def error(self, text: str) -> None:
        with self.lock:
            if len(self.errors) < 20:
                self.errors.append(text)

    def snapshot(self) -> dict:
        with self.lock:
            return {
                "emails": [[to, subject, n] for (to, subject), n in self.emails.items()],
                "sms": [[to, n] for to, n in self.sms.items()],
                "errors": list(self.errors),
                "refused": dict(self.refused),
            }


def serve_sinks(smtp_port: int, http_port: int, account_sid: str, auth_token: str) -> int:
    """Run the SMTP server and the Twilio stand-in until SIGTERM."""
    from email.parser import BytesHeaderParser
    from email.policy import default as default_policy

    from aiosmtpd.controller import Controller

    tally = Tally()
    header_parser = BytesHeaderParser(policy=default_policy)
    expected_auth = "Basic " + base64.b64encode(f"{account_sid}:{auth_token}".encode()).decode()

    class CountingHandler:
        async def handle_DATA(self, server, session, envelope) -> str:
            headers = header_parser.parsebytes(envelope.content)
            subject = str(headers.get("Subject", ""))
            with tally.lock:
                if tally.smtp_fault:
                    tally.refused[f"smtp {tally.smtp_fault}"] += 1
                    kind = "4.3.0 try again later" if tally.smtp_fault < 500 else "5.7.1 refused"
                    return f"{tally.smtp_fault} {kind} (bench fault)"
                for recipient in envelope.rcpt_tos:
                    tally.emails[(recipient, subject)] += 1
            return "250 Message accepted for delivery"

    class TwilioHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the Twilio client expects
        server_version = "bench-twilio/1"

        def log_message(self, format, *args) -> None:
            pass

        def reply(self, status: int, payload: dict) -> None:
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            if self.path == "/_bench/stats":
                self.reply(200, tally.snapshot())
            else:
                self.reply(404, {"code": 20404, "message": "Not found", "status": 404})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            form = urllib.parse.parse_qs(self.rfile.read(length).decode())
            if self.path == "/_bench/reset":
                tally.reset()
                self.reply(200, {})
                return
            if self.path == "/_bench/fault":
                with tally.lock:
                    tally.smtp_fault = int(form.get("smtp", ["0"])[0])
                    tally.sms_fault = int(form.get("sms", ["0"])[0])
                self.reply(200, {})
                return
            match = SMS_PATH.fullmatch(self.path)
            if match is None or match[1] != account_sid:
                tally.error(f"POST {self.path}")
                self.reply(404, {"code": 20404, "message": "Not found", "status": 404})
                return
            if self.headers.get("Authorization") != expected_auth:
                tally.error("wrong or missing Authorization")
                self.reply(401, {"code": 20003, "message": "Authenticate", "status": 401})
                return
            to, sender, text = (form.get(key, [""])[0] for key in ("To", "From", "Body"))
            if not to or not text or sender != TWILIO_FROM:
                tally.error(f"incomplete message: To={to!r} From={sender!r} Body={text[:40]!r}")
                self.reply(400, {"code": 21604, "message": "Missing parameter", "status": 400})
                return
            with tally.lock:
                fault = tally.sms_fault
                if fault:
                    tally.refused[f"sms {fault}"] += 1
                else:
                    tally.sms[to] += 1
            if fault:
                message = "Too Many Requests" if fault == 429 else "Internal Server Error"
                self.reply(fault, {"code": 20429 if fault == 429 else 20500, "message": message})
                return
            sid = "SM" + uuid.uuid4().hex
            self.reply(
                201,
                {
                    "sid": sid,
                    "account_sid": account_sid,
                    "to": to,
                    "from": sender,
                    "body": text,
                    "status": "queued",
                    "direction": "outbound-api",
                    "api_version": "2010-04-01",
                    "num_segments": "1",
                    "uri": f"{self.path[:-5]}/{sid}.json",
                },
            )

    controller = Controller(CountingHandler(), hostname=HOST, port=smtp_port)
    http = ThreadingHTTPServer((HOST, http_port), TwilioHandler)
    http.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    controller.start()
    try:
        print(f"SMTP on {HOST}:{smtp_port}, Twilio stand-in on {HOST}:{http_port}", flush=True)
        http.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        http.server_close()
        controller.stop()
    return 0


class Sinks(Child):
    """This module as a script: the SMTP server and the Twilio stand-in."""

    def __init__(self, log: Path, account_sid: str, auth_token: str) -> None:
        self.smtp_port, self.http_port = free_port(), free_port()
        self.base_url = f"http://{HOST}:{self.http_port}"
        command = [sys.executable, "-u", str(Path(__file__).resolve())]
        command += [str(self.smtp_port), str(self.http_port), account_sid, auth_token]
        super().__init__("servers", command, {}, log)
        self.session = requests.Session()

    def wait_ready(self, seconds: float = 20) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.check_running()
            with contextlib.suppress(requests.RequestException):
                self.stats()
                return
            time.sleep(0.05)
        raise BenchError(f"the SMTP/SMS servers did not start within {seconds:.0f} s")

    def stats(self) -> dict:
        response = self.session.get(f"{self.base_url}/_bench/stats", timeout=10)
        response.raise_for_status()
        return response.json()

    def reset(self) -> None:
        self.session.post(f"{self.base_url}/_bench/reset", timeout=10).raise_for_status()

    def fault(self, *, smtp: int = 0, sms: int = 0) -> None:
        """SMTP answers DATA with ``smtp`` (4xx, 5xx) and Twilio with ``sms`` (429, 500);
        0 for normal service."""
        url = f"{self.base_url}/_bench/fault"
        self.session.post(url, data={"smtp": smtp, "sms": sms}, timeout=10).raise_for_status()

    def stop(self, timeout: float = 15) -> None:
        self.session.close()
        super().stop(timeout)


if __name__ == "__main__":
    smtp, http, sid, token = sys.argv[1:5]
    sys.exit(serve_sinks(int(smtp), int(http), sid, token))
