from __future__ import annotations

import email
import email.policy
import json
from pathlib import Path

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

SHOWN = 50


def _mails() -> list[dict]:
    folder = Path(settings.VAR_DIR, "outbox", "mail")
    files = sorted(folder.glob("*.log"), key=lambda p: p.stat().st_mtime, reverse=True)
    mails = []
    for path in files[:SHOWN]:
        # The file backend appends one message per send; a separator line follows each.
        for raw in reversed(path.read_text(encoding="utf-8").split("\n" + "-" * 79 + "\n")):
            if not raw.strip():
                continue
            message = email.message_from_string(raw, policy=email.policy.default)
            text = message.get_body(preferencelist=("plain",))
            mails.append(
                {
                    "to": message["To"],
                    "subject": message["Subject"],
                    "date": message["Date"],
                    "text": text.get_content() if text else "",
                }
            )
    return mails[:SHOWN]


def _sms() -> list[dict]:
    path = Path(settings.SMS_OUTBOX_FILE)
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()[-SHOWN:]
    return [json.loads(line) for line in reversed(lines) if line.strip()]


def dev_outbox(request: HttpRequest) -> HttpResponse:
    """Development only: what would have been sent by e-mail and SMS."""
    if not settings.DEBUG:
        raise Http404
    return render(request, "notifications/dev_outbox.html", {"mails": _mails(), "sms": _sms()})
