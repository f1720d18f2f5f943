"""Settings of the two message channels, mail and SMS, read from the environment.

Outside DEBUG both must name a real channel: the file outboxes hold temporary passwords in
clear. ``portal.settings`` takes these names as they are.
"""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from portal.env import env_bool, env_int, env_str, env_url


def message_settings(*, debug: bool, var_dir: Path) -> dict[str, object]:
    """MAILERS, DEFAULT_FROM_EMAIL, SMTP_HOST, the TWILIO_* names, SMS_BACKEND and
    SMS_OUTBOX_FILE."""
    # Mail: SMTP when SMTP_HOST is set, MAIL_BACKEND names another Django backend; otherwise files
    # for the dev outbox. Those hold temporary passwords in clear, so only DEBUG falls back to them.
    DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "portal@localhost")
    SMTP_HOST = env_str("SMTP_HOST")
    _mail_backend = env_str("MAIL_BACKEND")
    _FILE_MAIL = "django.core.mail.backends.filebased.EmailBackend"
    if not (_mail_backend or SMTP_HOST or debug):
        raise ImproperlyConfigured(
            "SMTP_HOST (or MAIL_BACKEND) must be set when DJANGO_DEBUG is not true; "
            "e-mails with temporary passwords would be kept in files."
        )
    if _mail_backend and _mail_backend != _FILE_MAIL:
        MAILERS = {"default": {"BACKEND": _mail_backend}}
    elif SMTP_HOST and not _mail_backend:
        MAILERS = {
            "default": {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "OPTIONS": {
                    "host": SMTP_HOST,
                    "port": env_int("SMTP_PORT", 587, minimum=1, maximum=65535),
                    "username": env_str("SMTP_USER", "") or "",
                    "password": env_str("SMTP_PASSWORD", "") or "",
                    "use_tls": env_bool("SMTP_TLS", True),
                    "timeout": env_int("SMTP_TIMEOUT", 15, minimum=1, maximum=300),
                },
            }
        }
    else:
        MAILERS = {
            "default": {
                "BACKEND": _FILE_MAIL,
                "OPTIONS": {"file_path": str(var_dir / "outbox" / "mail")},
            }
        }

    # SMS: Twilio when TWILIO_ACCOUNT_SID is set, SMS_BACKEND names another; otherwise the dev
    # outbox in var/outbox/, which only DEBUG falls back to (like mail above).
    TWILIO_ACCOUNT_SID = env_str("TWILIO_ACCOUNT_SID")
    TWILIO_AUTH_TOKEN = env_str("TWILIO_AUTH_TOKEN")
    TWILIO_FROM = env_str("TWILIO_FROM")
    TWILIO_API_BASE_URL = env_url("TWILIO_API_BASE_URL", None, schemes=("http", "https"))
    TWILIO_TIMEOUT = env_int("TWILIO_TIMEOUT", 10, minimum=1, maximum=120)
    if TWILIO_ACCOUNT_SID and not (TWILIO_AUTH_TOKEN and TWILIO_FROM):
        raise ImproperlyConfigured(
            "TWILIO_AUTH_TOKEN and TWILIO_FROM must be set with TWILIO_ACCOUNT_SID."
        )
    _sms_backend = env_str("SMS_BACKEND")
    if not (_sms_backend or TWILIO_ACCOUNT_SID or debug):
        raise ImproperlyConfigured(
            "TWILIO_ACCOUNT_SID (or SMS_BACKEND) must be set when DJANGO_DEBUG is not true; "
            "SMS with temporary passwords would be kept in a file."
        )
    SMS_BACKEND = _sms_backend or (
        "notifications.sms.TwilioSmsBackend"
        if TWILIO_ACCOUNT_SID
        else "notifications.sms.FileSmsBackend"
    )
    SMS_OUTBOX_FILE = var_dir / "outbox" / "sms.jsonl"
    return {
        "DEFAULT_FROM_EMAIL": DEFAULT_FROM_EMAIL,
        "SMTP_HOST": SMTP_HOST,
        "MAILERS": MAILERS,
        "TWILIO_ACCOUNT_SID": TWILIO_ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": TWILIO_AUTH_TOKEN,
        "TWILIO_FROM": TWILIO_FROM,
        "TWILIO_API_BASE_URL": TWILIO_API_BASE_URL,
        "TWILIO_TIMEOUT": TWILIO_TIMEOUT,
        "SMS_BACKEND": SMS_BACKEND,
        "SMS_OUTBOX_FILE": SMS_OUTBOX_FILE,
    }
