from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.models import MINIMUM_TERM_DAYS, Package
from portal.models import Customer, claim_username_for_workplace, sync_draft_claim
from trunks.models import Number, SipTrunk
from trunks.numbers import format_national
from workplaces.validators import MAX_USERNAME_LENGTH

#: The person's data a draft hands to its workplace.
PERSON_FIELDS = (
    "first_name",
    "last_name",
    "street",
    "house_number",
    "postcode",
    "city",
    "email",
    "auth_email",
    "mobile",
)


class PersonFields(models.Model):
    """Benutzerdaten (step 2) and Benutzeranmeldung contacts (step 3), shared by drafts."""

    first_name = models.CharField(_("Vorname"), max_length=60, blank=True)
    last_name = models.CharField(_("Nachname"), max_length=60, blank=True)
    street = models.CharField(_("Straße"), max_length=100, blank=True)
    house_number = models.CharField(_("Hausnummer"), max_length=10, blank=True)
    postcode = models.CharField(_("PLZ"), max_length=5, blank=True)
    city = models.CharField(_("Ort"), max_length=60, blank=True)
    email = models.EmailField(_("E-Mail-Adresse"), blank=True)
    auth_email = models.EmailField(_("E-Mail-Adresse zur Authentifizierung"), blank=True)
    # Stored as E.164, but typed with spaces, dashes and brackets: the form takes what is typed.
    mobile = models.CharField(_("Mobilfunknummer"), max_length=30, blank=True)

    class Meta:
        abstract = True

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def password_by_sms(self) -> bool:
        return bool(self.mobile)

    @property
    def mobile_national(self) -> str:
        """``0171 2345679``: the mobile number written like the office numbers."""
        if not self.mobile.startswith("+49"):
            return self.mobile
        return format_national(self.mobile)


def field_limit(field: str) -> int:
    """The longest value of a person's field or the username: the one home of these limits,
    read by the setup service, the forms and the list import."""
    return Workplace._meta.get_field(field).max_length


class Workplace(PersonFields):
    """A SIP-Trunk Arbeitsplatz: one person, one login, one number, optional package."""

    class Status(models.TextChoices):
        PENDING = "pending", _("In Bearbeitung")
        ACTIVE = "active", _("Aktiv")
        CANCEL_SCHEDULED = "cancel_scheduled", _("Kündigung vorgemerkt")
        DELETED = "deleted", _("Gelöscht")

    #: Statuses that hold a place of the trunk's quota (and a number).
    HOLDS_QUOTA = (Status.PENDING, Status.ACTIVE, Status.CANCEL_SCHEDULED)
    #: Statuses whose user may log in to MyPortal: active, or active until a cancellation.
    LOGIN_ALLOWED = (Status.ACTIVE, Status.CANCEL_SCHEDULED)

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    trunk = models.ForeignKey(
        SipTrunk, verbose_name=_("SIP-Trunk"), on_delete=models.PROTECT, related_name="workplaces"
    )
    username = models.CharField(_("Benutzername"), max_length=MAX_USERNAME_LENGTH)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Anmeldung"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="workplace",
    )
    number = models.ForeignKey(
        Number,
        verbose_name=_("Rufnummer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="workplaces",
    )
    package = models.ForeignKey(
        Package,
        verbose_name=_("Konferenzpaket"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    package_booked_on = models.DateField(_("Paket gebucht am"), null=True, blank=True)
    status = models.CharField(
        _("Status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("Angelegt"), auto_now_add=True)
    activated_at = models.DateTimeField(_("Aktiviert"), null=True, blank=True)
    cancel_on = models.DateField(_("Kündigung vorgemerkt zum"), null=True, blank=True)
    deleted_at = models.DateTimeField(_("Gelöscht"), null=True, blank=True)

    class Meta:
        verbose_name = _("SIP-Trunk Arbeitsplatz")
        verbose_name_plural = _("SIP-Trunk Arbeitsplätze")
        ordering = ["last_name", "first_name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["number"], name="workplaces_number_taken_once"),
            models.UniqueConstraint(fields=["username"], name="workplaces_username_once"),
        ]
        indexes = [
            models.Index(fields=["trunk", "status"], name="workplaces_trunk_status"),
            # The overview's order: its first page is read from the index, not sorted.
            models.Index(
                fields=["trunk", "last_name", "first_name", "id"], name="workplaces_trunk_by_name"
            ),
            # Counting the numbers a trunk's workplaces hold from the index alone.
            models.Index(fields=["trunk", "number"], name="workplaces_trunk_number"),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.username})"

    def save(self, *args, **kwargs) -> None:
        """A new workplace claims its username (the name stays its own, even once deleted)."""
        if not self._state.adding:
            super().save(*args, **kwargs)
            return
        # No savepoint of its own: a refused claim undoes the save with the caller's block.
        with transaction.atomic(savepoint=False):
            super().save(*args, **kwargs)
            claim_username_for_workplace(
                name=self.username, workplace_id=self.pk, user_id=self.user_id
            )

    def earliest_downgrade_on(self) -> dt.date | None:
        """The first day on which the booked package may be reduced or cancelled."""
        if self.package_booked_on is None:
            return None
        return self.package_booked_on + dt.timedelta(days=MINIMUM_TERM_DAYS)

    def can_downgrade_on(self, day: dt.date) -> bool:
        earliest = self.earliest_downgrade_on()
        return earliest is None or day >= earliest

    def earliest_deletion_on(self) -> dt.date | None:
        """Workplace and package both run at least 30 days (from activation and booking)."""
        starts = [self.package_booked_on]
        if self.activated_at:
            starts.append(timezone.localdate(self.activated_at))
        ends = [start + dt.timedelta(days=MINIMUM_TERM_DAYS) for start in starts if start]
        return max(ends) if ends else None

    @property
    def is_manageable(self) -> bool:
        """Active workplaces can change their package and be deleted."""
        return self.status == self.Status.ACTIVE

    @property
    def is_in_service(self) -> bool:
        """Until a scheduled cancellation is carried out the workplace runs: its data can be
        edited and its password reset."""
        return self.status in self.LOGIN_ALLOWED


class PhoneSetup(models.Model):
    """One "Telefon einrichten" code: a one-time link that hands a softphone its account.

    Only the SHA-256 of the token is stored. A code is good once, until ``expires_at``, and
    only while no newer code replaced it and the password did not change since.
    """

    workplace = models.ForeignKey(
        Workplace, on_delete=models.CASCADE, related_name="phone_setups", editable=False
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("Erzeugt"), default=timezone.now, editable=False)
    expires_at = models.DateTimeField(_("Gültig bis"), editable=False)
    used_at = models.DateTimeField(_("Telefon eingerichtet"), null=True, editable=False)
    used_from = models.GenericIPAddressField(_("Adresse"), null=True, editable=False)
    #: "Neuen Code erzeugen" voided this one before it was used.
    replaced_at = models.DateTimeField(null=True, editable=False)
    #: The password changed after this code was made: unused, it is void; used, the phone
    #: set up with it no longer registers.
    password_changed_at = models.DateTimeField(null=True, editable=False)

    class Meta:
        verbose_name = _("Telefon-Einrichtungscode")
        verbose_name_plural = _("Telefon-Einrichtungscodes")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.workplace.username} {self.created_at:%Y-%m-%d %H:%M}"

    def usable(self, now: dt.datetime) -> bool:
        return (
            self.used_at is None
            and self.replaced_at is None
            and self.password_changed_at is None
            and now < self.expires_at
        )


class CustomerBesideTrunk:
    """A row that keeps its customer beside its trunk (so that a customer's rows are found
    without a join): saving it with a trunk of another customer is a programming error."""

    def check_customer(self, update_fields) -> None:
        if update_fields is not None and not {"trunk", "customer"} & set(update_fields):
            return
        if self.trunk_id is not None and self.customer_id != self.trunk.customer_id:
            raise ValueError(
                f"{type(self).__name__}: customer {self.customer_id} is not the customer "
                f"{self.trunk.customer_id} of trunk {self.trunk_id}"
            )


class SetupDraft(CustomerBesideTrunk, PersonFields):
    """One run of the setup wizard, kept in the database with what it reserved.

    The username and the number are reserved by the draft itself (unique columns), so two
    drafts can never hold the same one; expiry or removal from the cart clears them.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("In Einrichtung")
        IN_CART = "in_cart", _("Im Warenkorb")
        ORDERED = "ordered", _("Bestellt")
        EXPIRED = "expired", _("Abgelaufen")
        DISCARDED = "discarded", _("Verworfen")

    LIVE = (Status.OPEN, Status.IN_CART)
    #: The cart's lines, oldest first (the cart page, the order's items).
    CART_ORDER = ("created_at", "pk")

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="setup_drafts"
    )
    trunk = models.ForeignKey(SipTrunk, on_delete=models.CASCADE, related_name="drafts")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    username = models.CharField(
        _("Benutzername"), max_length=MAX_USERNAME_LENGTH, null=True, blank=True
    )
    without_mobile = models.BooleanField(_("Authentifizierung ohne Mobilfunknummer"), null=True)
    number = models.ForeignKey(
        Number, null=True, blank=True, on_delete=models.SET_NULL, related_name="drafts"
    )
    package = models.ForeignKey(
        Package, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    package_chosen = models.BooleanField(default=False)
    #: The list import that put the draft into the cart, if one did (its rows count as added).
    import_run = models.ForeignKey(
        "ImportRun",
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="drafts",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("Entwurf")
        verbose_name_plural = _("Entwürfe")
        ordering = ["-updated_at"]
        constraints = [
            models.UniqueConstraint(fields=["number"], name="workplaces_number_reserved_once"),
            models.UniqueConstraint(fields=["username"], name="workplaces_username_reserved_once"),
        ]
        indexes = [
            models.Index(fields=["created_by", "status"], name="workplaces_draft_owner_status")
        ]

    def __str__(self) -> str:
        return self.full_name or str(self.code)

    def save(self, *args, **kwargs) -> None:
        """Save, and keep the draft's claim on its username in step (see UsernameClaim)."""
        update_fields = kwargs.get("update_fields")
        self.check_customer(update_fields)
        before = getattr(self, "_claimed_username", None)
        name = self.username or None
        if (update_fields is not None and "username" not in update_fields) or name == before:
            super().save(*args, **kwargs)
            return
        # No savepoint of its own: a refused claim undoes the save with the caller's block.
        with transaction.atomic(savepoint=False):
            super().save(*args, **kwargs)
            sync_draft_claim(draft_id=self.pk, name=name, before=before)
        self._claimed_username = name

    @classmethod
    def from_db(cls, db, field_names, values, **kwargs):
        draft = super().from_db(db, field_names, values, **kwargs)
        draft._claimed_username = draft.__dict__.get("username") or None
        return draft

    @property
    def is_live(self) -> bool:
        return self.status in self.LIVE

    #: What a complete draft has, in the order of the wizard's steps.
    PARTS = {
        "trunk": _("SIP-Trunk"),
        "user_data": _("Benutzerdaten"),
        "login": _("Benutzeranmeldung"),
        "number": _("Rufnummer zuweisen"),
        "package": _("Konferenzpaket buchen"),
    }

    def has(self, part: str) -> bool:
        """Whether the part of the setup (a key of PARTS) is done."""
        if part == "trunk":
            return self.trunk_id is not None
        if part == "user_data":
            return bool(self.pk and self.first_name and self.last_name and self.postcode)
        if part == "login":
            return bool(self.username and self.auth_email and self.without_mobile is not None)
        if part == "number":
            return self.number_id is not None
        if part == "package":
            return self.package_chosen
        raise ValueError(part)

    def first_missing(self) -> str | None:
        """The first part still missing, or None when the draft can go into the cart."""
        return next((part for part in self.PARTS if not self.has(part)), None)

    def part_label(self, part: str) -> str:
        return str(self.PARTS[part])


class ImportRun(CustomerBesideTrunk, models.Model):
    """One uploaded list of workplaces: its rows as read, the check's result, the cart step's.

    The upload is kept until the check task has read it; then the rows as read (the known
    columns and those with a header), so the check, the result page and the error list work
    from the same data. Runs are personal to the admin who uploaded them, like drafts, and
    are purged after ``KEEP``.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Wartet auf die Prüfung")
        CHECKING = "checking", _("Wird geprüft")
        CHECKED = "checked", _("Geprüft")
        ADDING = "adding", _("Wird in den Warenkorb gelegt")
        ADDED = "added", _("In den Warenkorb gelegt")
        FAILED = "failed", _("Fehlgeschlagen")

    #: Statuses in which a task is still working on the run (the page polls).
    WORKING = (Status.QUEUED, Status.CHECKING, Status.ADDING)
    KEEP = dt.timedelta(hours=24)

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    trunk = models.ForeignKey(SipTrunk, on_delete=models.CASCADE, related_name="import_runs")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="import_runs"
    )
    file_name = models.CharField(_("Datei"), max_length=255)
    #: The file as uploaded, until the check task has read it (then None).
    upload = models.BinaryField(null=True, editable=False)
    #: The rows as read: header, positions of the known columns, rows with their line.
    sheet = models.JSONField(default=dict)
    language = models.CharField(max_length=10, default="de")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    #: Which rows the cart step takes: only the fault-free ones, or all (refused with errors).
    mode = models.CharField(max_length=10, blank=True)
    #: Why the run failed, as a code the page turns into a sentence.
    failure = models.CharField(max_length=20, blank=True)
    #: Why the file was refused, in the run's language (the reader's message, with its values).
    failure_message = models.TextField(blank=True)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    #: The task working on the run (one execution, not one message: a redelivered message has
    #: the same task id) and since when; see ``service.claim_run``.
    claimed_by = models.CharField(max_length=64, blank=True, editable=False)
    claimed_at = models.DateTimeField(null=True, blank=True, editable=False)
    #: The check: per row its errors, the defaults filled in and the values for the cart.
    result = models.JSONField(default=dict)
    #: The cart step: which rows were added and why the others were not.
    cart_result = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("Listenimport")
        verbose_name_plural = _("Listenimporte")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.file_name

    def save(self, *args, **kwargs) -> None:
        self.check_customer(kwargs.get("update_fields"))
        super().save(*args, **kwargs)

    @property
    def is_working(self) -> bool:
        return self.status in self.WORKING

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.done / self.total)) if self.total else 0
