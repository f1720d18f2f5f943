"""Mail backends for the outbox tests, configured through ``MAILERS`` like any other."""

from __future__ import annotations

from django.core.mail.backends.base import BaseEmailBackend


class RefusingEmailBackend(BaseEmailBackend):
    """Every send raises ``error``, as Django's SMTP backend passes on smtplib's exceptions.

    ``MAILERS = {"default": {"BACKEND": "...RefusingEmailBackend", "OPTIONS": {"error": exc}}}``
    """

    def __init__(self, *, error: Exception, **kwargs) -> None:
        super().__init__(**kwargs)
        self.error = error

    def send_messages(self, email_messages) -> int:
        raise self.error
