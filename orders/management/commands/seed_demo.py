"""Demo data for a newcomer: two customers, their trunks and numbers, packages, logins.

Idempotent: running it again changes nothing (existing rows and passwords are kept).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from catalog.models import Feature, Package
from orders import services as orders
from portal.models import AdminRole, Customer
from portal.policy import Actor
from provisioning import services as provisioning
from trunks.models import NumberBlock, SipTrunk
from trunks.services import save_number_block
from workplaces.models import Workplace
from workplaces.services import setup

DEFAULT_PASSWORD = "Demo-Portal-2026"  # noqa: S105 (documented demo password)

PACKAGES = [
    ("arbeitsplatz", Package.Kind.WORKPLACE, "SIP-Trunk Arbeitsplatz", 0, [], "6.90"),
    (
        "konferenz-basic",
        Package.Kind.CONFERENCE,
        "Konferenz Basic",
        1,
        [Feature.ONLINE_CONFERENCE, Feature.CHAT],
        "4.90",
    ),
    (
        "konferenz-plus",
        Package.Kind.CONFERENCE,
        "Konferenz Plus",
        2,
        [Feature.ONLINE_CONFERENCE, Feature.VIDEO_CONFERENCE, Feature.SCREEN_SHARING, Feature.CHAT],
        "9.90",
    ),
    (
        "konferenz-premium",
        Package.Kind.CONFERENCE,
        "Konferenz Premium",
        3,
        [choice for choice, _label in Feature.choices],
        "14.90",
    ),
]

CUSTOMERS = [
    {
        "name": "Demo GmbH",
        "number": "K-100001",
        "admin": ("demo-admin", "Dana", "Demo", "admin@demo-gmbh.de"),
        "trunks": [
            ("Zentrale Bonn", 25, "+49228181234", 10, 99),
            ("Niederlassung Berlin", 200, "+49302345678", 100, 999),
        ],
    },
    {
        "name": "Beispiel AG",
        "number": "K-100002",
        "admin": ("beispiel-admin", "Bernd", "Beispiel", "admin@beispiel-ag.de"),
        "trunks": [("Hauptsitz Köln", 20, "+4922198765", 10, 99)],
    },
]

#: Further admins of Demo GmbH: (username, first, last, e-mail, role, limited to these trunks).
DEMO_GMBH_ADMINS = [
    ("demo-leser", "Lea", "Leser", "leser@demo-gmbh.de", AdminRole.LESER, []),
    (
        "demo-berlin",
        "Bert",
        "Berlin",
        "berlin@demo-gmbh.de",
        AdminRole.BEARBEITER,
        ["Niederlassung Berlin"],
    ),
]

BONN_WORKPLACES = [
    ("Anna", "Schmidt", "anna.schmidt", "10", "konferenz-plus", "+491701234501"),
    ("Jörg", "Müller", "joerg.mueller", "11", "", "+491701234502"),
    ("Lena", "Weber", "lena.weber", "12", "konferenz-basic", ""),
]


class Command(BaseCommand):
    help = "Load demo customers, trunks, numbers, packages and logins (idempotent)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--password", default=DEFAULT_PASSWORD, help="for new demo logins")
        parser.add_argument("--force", action="store_true", help="allow without DEBUG")

    def handle(self, *args, password: str, force: bool, **options) -> None:
        if not settings.DEBUG and not force:
            raise CommandError("seed_demo refuses to run without DEBUG; use --force to insist.")
        with transaction.atomic():
            self._packages()
            for spec in CUSTOMERS:
                self._customer(spec, password)
            self._demo_gmbh_admins(password)
            self._bonn_workplaces()
            self._user("operator", "Olga", "Operator", "operator@localhost", password, staff=True)
        self.stdout.write("Demo-Daten bereit. Anmeldungen (Passwort wie angegeben):")
        self.stdout.write("  demo-admin      Administrator der Demo GmbH")
        self.stdout.write("  demo-leser      Leser der Demo GmbH (sieht alles, ändert nichts)")
        self.stdout.write("  demo-berlin     Bearbeiter der Demo GmbH, nur Niederlassung Berlin")
        self.stdout.write("  beispiel-admin  Administrator der Beispiel AG")
        self.stdout.write("  operator        Betrieb (Django-Admin unter /betrieb/)")

    def _packages(self) -> None:
        for code, kind, name, rank, features, price in PACKAGES:
            Package.objects.get_or_create(
                code=code,
                defaults={
                    "kind": kind,
                    "name": name,
                    "rank": rank,
                    "features": [str(f) for f in features],
                    "monthly_net": Decimal(price),
                },
            )

    def _user(self, username, first, last, email, password, *, customer=None, staff=False):
        user, created = get_user_model().objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "email": email,
                "customer": customer,
                "is_staff": staff,
                "is_superuser": staff,
            },
        )
        if created:
            user.set_password(password)
            user.save(update_fields=["password"])
        return user

    def _customer(self, spec: dict, password: str) -> None:
        customer, _created = Customer.objects.get_or_create(
            number=spec["number"], defaults={"name": spec["name"]}
        )
        username, first, last, email = spec["admin"]
        self._user(username, first, last, email, password, customer=customer)
        for name, quota, base, first_ext, last_ext in spec["trunks"]:
            trunk, _created = SipTrunk.objects.get_or_create(
                customer=customer, name=name, defaults={"workplace_quota": quota}
            )
            if not trunk.blocks.exists():
                save_number_block(
                    NumberBlock(
                        trunk=trunk, base=base, first_extension=first_ext, last_extension=last_ext
                    )
                )

    def _demo_gmbh_admins(self, password: str) -> None:
        """A Leser and a branch admin limited to Berlin, without two-factor login."""
        customer = Customer.objects.get(number="K-100001")
        for username, first, last, email, role, trunks in DEMO_GMBH_ADMINS:
            user = self._user(username, first, last, email, password, customer=customer)
            user.admin_role = role
            user.limited_to_trunks = bool(trunks)
            user.save(update_fields=["admin_role", "limited_to_trunks"])
            user.trunks.set(SipTrunk.objects.filter(customer=customer, name__in=trunks))

    def _bonn_workplaces(self) -> None:
        """The three Bonn workplaces, set up and ordered through the real services.

        Only on the first run (later runs find them); the messages are left out, so the demo
        logins keep unusable passwords until someone asks for a new one.
        """
        if Workplace.objects.filter(username__in=[w[2] for w in BONN_WORKPLACES]).exists():
            return
        if provisioning.is_connected():  # demo logins must not reach a real registrar
            self.stderr.write("Ein SIP-Registrar ist angebunden: keine Demo-Arbeitsplätze.")
            return
        trunk = SipTrunk.objects.get(name="Zentrale Bonn", customer__number="K-100001")
        admin = get_user_model().objects.get(username="demo-admin")
        if not orders.view_cart(admin).is_empty:
            self.stderr.write("Der Warenkorb von demo-admin ist nicht leer: keine Demo-Aufträge.")
            return
        actor = Actor.for_admin(admin)
        for first, last, username, ext, package, mobile in BONN_WORKPLACES:
            email = f"{username}@demo-gmbh.de"
            draft = setup.start_draft(
                actor=actor,
                trunk=trunk,
                user_data={
                    "first_name": first,
                    "last_name": last,
                    "street": "Friedrich-Ebert-Allee",
                    "house_number": "140",
                    "postcode": "53113",
                    "city": "Bonn",
                    "email": email,
                },
            )
            setup.reserve_username(
                actor=actor,
                draft=draft,
                username=username,
                contacts={"auth_email": email, "mobile": mobile, "without_mobile": not mobile},
            )
            setup.reserve_number(actor=actor, draft=draft, number=trunk.numbers.get(extension=ext))
            package_row = Package.objects.filter(code=package).first()
            setup.choose_package(actor=actor, draft=draft, package=package_row)
            setup.add_to_cart(draft=draft, actor=actor)
        order = orders.place_order(actor=actor, token=orders.cart_of(admin).token)
        orders.process_order(order.pk, send_messages=False)
