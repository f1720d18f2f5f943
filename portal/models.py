from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal import audit_actions
from portal.hashers import hash_temporary_password
from portal.roles import AdminRole


class Customer(models.Model):
    """A business customer of the carrier; its admins manage its trunks and workplaces."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("Name"), max_length=200)
    number = models.CharField(_("Kundennummer"), max_length=20, unique=True)
    require_two_factor = models.BooleanField(
        _("Zwei-Faktor-Anmeldung für alle Administratoren"),
        default=False,
        help_text=_("Wer noch keine eingerichtet hat, richtet sie bei der nächsten Anmeldung ein."),
    )

    class Meta:
        verbose_name = _("Kunde")
        verbose_name_plural = _("Kunden")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """One global namespace of logins: customer admins, end users (MyPortal) and staff.

    A customer admin has ``customer`` set; an end user is linked from its workplace;
    provider staff have ``is_staff``.
    """

    customer = models.ForeignKey(
        Customer,
        verbose_name=_("Kunde"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="admins",
        help_text=_("Gesetzt für Administratoren eines Kunden."),
    )
    admin_role = models.CharField(
        _("Rolle"), max_length=20, choices=AdminRole.choices, default=AdminRole.ADMINISTRATOR
    )
    # Most admins reach every trunk: the flag spares them a query for their trunks on every
    # page. Limited with no trunk left (one was removed), the admin reaches none, not all.
    limited_to_trunks = models.BooleanField(
        _("Auf SIP-Trunks beschränkt"),
        default=False,
        help_text=_("Nur die unten gewählten SIP-Trunks, sonst alle des Kunden."),
    )
    # A string reference: the trunks sit above the portal.
    trunks = models.ManyToManyField(
        "trunks.SipTrunk",
        verbose_name=_("SIP-Trunks"),
        blank=True,
        related_name="limited_admins",
    )
    # Kept by portal.twofactor beside the devices, so that no page needs a query to know
    # whether to ask for a code.
    two_factor = models.BooleanField(
        _("Zwei-Faktor-Anmeldung eingerichtet"), default=False, editable=False
    )
    must_change_password = models.BooleanField(_("Muss Passwort ändern"), default=False)
    temporary_password_set_at = models.DateTimeField(
        _("Temporäres Passwort gesetzt"),
        null=True,
        blank=True,
        help_text=_("Leer, sobald der Benutzer ein eigenes Passwort vergeben hat."),
    )
    # "Passwort vergessen": the new temporary password waits here (as a hash) and becomes the
    # password at its first use, so a stranger who knows the username cannot lock anyone out.
    pending_password = models.CharField(
        _("Angefordertes temporäres Passwort"), max_length=128, blank=True, editable=False
    )
    pending_password_set_at = models.DateTimeField(
        _("Angefordert am"), null=True, blank=True, editable=False
    )

    #: What the delivery task writes when it sets a temporary password.
    TEMPORARY_PASSWORD_FIELDS = (
        "password",
        "must_change_password",
        "temporary_password_set_at",
        "pending_password",
        "pending_password_set_at",
    )
    PENDING_PASSWORD_FIELDS = ("pending_password", "pending_password_set_at")

    class Meta:
        verbose_name = _("Benutzer")
        verbose_name_plural = _("Benutzer")

    def save(self, *args, claim_username: bool = True, **kwargs) -> None:
        """Save, and claim the username in the one namespace (:class:`UsernameClaim`).

        A workplace's login passes ``claim_username=False``: its workplace holds the name.
        """
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "username" not in update_fields:
            super().save(*args, **kwargs)
            return
        adding = self._state.adding
        # No savepoint of its own: a refused claim undoes the save with the caller's block.
        with transaction.atomic(savepoint=False):
            super().save(*args, **kwargs)
            if adding and claim_username:
                UsernameClaim.objects.create(name=self.username, user=self)
            elif not adding and self.username != getattr(self, "_claimed_username", None):
                UsernameClaim.objects.filter(user=self).update(name=self.username)
        self._claimed_username = self.username

    @classmethod
    def from_db(cls, db, field_names, values, **kwargs):
        user = super().from_db(db, field_names, values, **kwargs)
        user._claimed_username = user.__dict__.get("username")
        return user

    @property
    def is_customer_admin(self) -> bool:
        return self.customer_id is not None and self.is_active

    @property
    def trunk_ids(self) -> frozenset[int] | None:
        """The trunks this admin is limited to, or None for all of the customer's (for a
        limited admin one query, then kept on the instance: a request asks many times)."""
        if not self.limited_to_trunks:
            return None
        if "_trunk_ids" not in self.__dict__:
            self._trunk_ids = frozenset(self.trunks.values_list("pk", flat=True))
        return self._trunk_ids

    def forget_trunk_ids(self) -> None:
        self.__dict__.pop("_trunk_ids", None)

    def set_temporary_password(self, raw_password: str) -> None:
        """A temporary password replaces the current one (and a pending one) right away.

        Only for a password the portal generated: it is stored with the cheap hasher of
        random passwords (:mod:`portal.hashers`).
        """
        self.password = hash_temporary_password(raw_password)
        self._password = raw_password  # as set_password does, for the password validators
        self.must_change_password = True
        self.temporary_password_set_at = timezone.now()
        self.clear_pending_password()

    def set_pending_password(self, raw_password: str) -> None:
        """A temporary password that waits for its first use; the current one keeps working.

        Only for a password the portal generated (see :meth:`set_temporary_password`).
        """
        self.pending_password = hash_temporary_password(raw_password)
        self.pending_password_set_at = timezone.now()

    def clear_pending_password(self) -> None:
        self.pending_password = ""
        self.pending_password_set_at = None

    def use_pending_password(self) -> None:
        """The pending password becomes the password; the old one stops working now.

        It stays temporary (its age counts from when it was sent) and must be replaced.
        """
        self.password = self.pending_password
        self.must_change_password = True
        self.temporary_password_set_at = self.pending_password_set_at
        self.clear_pending_password()

    def own_password_set(self) -> None:
        """The user chose the password: it never expires, and a pending one is void."""
        self.must_change_password = False
        self.temporary_password_set_at = None
        self.clear_pending_password()

    @property
    def temporary_password_expired(self) -> bool:
        return _expired(self.temporary_password_set_at)

    @property
    def pending_password_expired(self) -> bool:
        return _expired(self.pending_password_set_at)


class UsernameClaimQuerySet(models.QuerySet):
    def named(self, name: str) -> UsernameClaimQuerySet:
        """The claim of ``name``, compared as the constraint compares (lowercased)."""
        return self.alias(key=Lower("name")).filter(key=str(name).lower())

    def named_any(self, names) -> UsernameClaimQuerySet:
        return self.alias(key=Lower("name")).filter(key__in=[str(n).lower() for n in names])


class UsernameClaim(models.Model):
    """One name of the one namespace of logins, and who holds it.

    Customer admins, staff, workplaces (even deleted ones, and with them their login) and the
    drafts that reserved a name each hold one row; the unique lowercased name decides between
    any two callers reaching for one name at once, whichever front door they came through.
    The row is written in the transaction that reserves or creates the holder and goes with a
    draft that gives its name back.
    """

    name = models.CharField(max_length=150)
    user = models.OneToOneField(
        User, null=True, blank=True, on_delete=models.CASCADE, related_name="username_claim"
    )
    workplace = models.OneToOneField(
        "workplaces.Workplace",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="username_claim",
    )
    draft = models.OneToOneField(
        "workplaces.SetupDraft",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="username_claim",
    )

    objects = UsernameClaimQuerySet.as_manager()

    class Meta:
        verbose_name = _("Vergebener Benutzername")
        verbose_name_plural = _("Vergebene Benutzernamen")
        constraints = [
            models.UniqueConstraint(Lower("name"), name="portal_username_claimed_once"),
            models.CheckConstraint(
                condition=models.Q(user__isnull=False)
                | models.Q(workplace__isnull=False)
                | models.Q(draft__isnull=False),
                name="portal_username_claim_has_holder",
            ),
        ]

    def __str__(self) -> str:
        return self.name


def claim_username_for_workplace(*, name: str, workplace_id: int, user_id: int | None) -> None:
    """A new workplace holds its username; if its own login held it, the workplace takes over.

    Raises IntegrityError when anyone else holds the name.
    """
    if user_id is not None:
        own = UsernameClaim.objects.filter(name=name, user_id=user_id, workplace__isnull=True)
        if own.update(user=None, workplace_id=workplace_id):
            return
    UsernameClaim.objects.create(name=name, workplace_id=workplace_id)


def sync_draft_claim(*, draft_id: int, name: str | None, before: str | None) -> None:
    """A draft's claim follows its username: written, renamed, or given back (None)."""
    if name == before:
        return
    if name is None:
        UsernameClaim.objects.filter(draft_id=draft_id).delete()
    elif before is None or not UsernameClaim.objects.filter(draft_id=draft_id).update(name=name):
        UsernameClaim.objects.create(name=name, draft_id=draft_id)


def _expired(set_at: dt.datetime | None) -> bool:
    """A temporary password set at ``set_at`` logs in for ``TEMP_PASSWORD_DAYS`` days."""
    if set_at is None:
        return False
    return timezone.now() - set_at > dt.timedelta(days=settings.TEMP_PASSWORD_DAYS)


class AuditEvent(models.Model):
    """Who did what to which object, when, from where.

    What happened is data: ``action`` (a code of :data:`portal.audit_actions.ACTIONS`) and its
    parameters in ``details``; :attr:`text` renders the sentence in the reader's language.
    ``summary`` holds the finished sentence of an event written before events were data, in
    the language of the admin who acted then; such an event is shown as it was written.
    """

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="audit_events", null=True
    )
    actor = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The trunk the event concerns (a workplace's), or none (an order, an admin): an admin
    # limited to some trunks sees only the events of those. A string reference: the trunks
    # sit above the portal.
    trunk = models.ForeignKey(
        "trunks.SipTrunk", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Who acted, when it was not the admin in person: an API key ("API-Schlüssel NAME").
    actor_label = models.CharField(_("Handelnd als"), max_length=200, blank=True)
    action = models.CharField(_("Aktion"), max_length=40)
    object_type = models.CharField(_("Objekttyp"), max_length=40)
    object_code = models.CharField(_("Objekt"), max_length=64, blank=True)
    summary = models.CharField(_("Beschreibung"), max_length=300, blank=True)
    details = models.JSONField(_("Details"), default=dict, blank=True)
    # The language-independent parameters (usernames, names, numbers, dates) for the
    # Protokoll search, which cannot look into the rendered sentence.
    search_text = models.TextField(_("Suchtext"), blank=True, editable=False)
    remote_addr = models.GenericIPAddressField(_("Adresse"), null=True, blank=True)
    created_at = models.DateTimeField(_("Zeitpunkt"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("Protokolleintrag")
        verbose_name_plural = _("Protokoll")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-created_at"], name="portal_audit_customer_time")
        ]

    def __str__(self) -> str:
        return self.text

    @property
    def action_label(self) -> str:
        return audit_actions.label(self.action)

    @property
    def text(self) -> str:
        """What happened, in the active language (an old event: as it was written)."""
        if self.summary:
            return self.summary
        return audit_actions.render(self.action, self.details)
