"""``python manage.py create_api_key <admin-username> --name NAME``: the key on the last line."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from api import services
from portal.errors import Refusal
from portal.policy import Actor


class Command(BaseCommand):
    help = "Create an API key for a customer admin; prints the key alone on the last line."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username", help="the customer admin the key acts for")
        parser.add_argument(
            "--name", required=True, help="what the key is for (shown in the Protokoll)"
        )

    def handle(self, *args, username: str, name: str, **options) -> None:
        user = get_user_model().objects.filter(username=username).first()
        if user is None or not user.is_customer_admin:
            raise CommandError(f"{username!r} is not an active customer admin")
        try:
            api_key, raw_key = services.create_api_key(actor=Actor.for_admin(user), name=name)
        except Refusal as refusal:
            raise CommandError(refusal.message) from None
        self.stdout.write(
            f"API key {api_key.name!r} ({api_key.prefix}...) for {user.username}, customer "
            f"{user.customer}. It is shown only now; only its hash is stored:"
        )
        self.stdout.write(raw_key)
