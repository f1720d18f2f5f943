from __future__ import annotations

import uuid

import phonenumbers
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.models import Customer
from trunks.numbers import format_international, format_national
from trunks.validators import (
    MAX_NATIONAL_DIGITS,
    national_digits,
    validate_extension,
    validate_number_length,
)

#: Largest block one form may create; keeps a typo from creating millions of rows.
MAX_BLOCK_SIZE = 100_000
#: Longest Durchwahl a number row can hold (internal numbers have 2 to 6 digits).
MAX_EXTENSION_DIGITS = 6


class SipTrunk(models.Model):
    customer = models.ForeignKey(
        Customer, verbose_name=_("Kunde"), on_delete=models.PROTECT, related_name="trunks"
    )
    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("Name"), max_length=100)
    workplace_quota = models.PositiveIntegerField(
        _("Kontingent Arbeitsplätze"),
        default=10,
        help_text=_("Wie viele SIP-Trunk Arbeitsplätze auf diesem Trunk eingerichtet sein dürfen."),
    )
    #: How many numbers the trunk has, kept by ``trunks.services.save_number_block`` (and
    #: block deletions): counting 100,000 rows on every page that shows it took 30 ms.
    numbers_count = models.PositiveIntegerField(_("Rufnummern"), default=0, editable=False)

    class Meta:
        verbose_name = _("SIP-Trunk")
        verbose_name_plural = _("SIP-Trunks")
        ordering = ["customer", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "name"], name="trunks_name_once_per_customer"
            )
        ]

    def __str__(self) -> str:
        return self.name


class NumberBlock(models.Model):
    """A base number with a range of extensions (Durchwahlen), or a single number."""

    trunk = models.ForeignKey(
        SipTrunk, verbose_name=_("SIP-Trunk"), on_delete=models.PROTECT, related_name="blocks"
    )
    base = models.CharField(
        _("Stammnummer"),
        max_length=20,
        help_text=_("E.164, z. B. +49228181234; bei einer Einzelrufnummer die ganze Nummer."),
    )
    first_extension = models.PositiveIntegerField(_("Erste Durchwahl"), null=True, blank=True)
    last_extension = models.PositiveIntegerField(_("Letzte Durchwahl"), null=True, blank=True)

    class Meta:
        verbose_name = _("Rufnummernblock")
        verbose_name_plural = _("Rufnummernblöcke")
        ordering = ["trunk", "base"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(first_extension__isnull=True, last_extension__isnull=True)
                    | models.Q(
                        first_extension__isnull=False,
                        last_extension__isnull=False,
                        first_extension__lte=models.F("last_extension"),
                    )
                ),
                name="trunks_block_range_ordered",
            )
        ]

    def __str__(self) -> str:
        if self.is_single:
            return format_international(self.base)
        return f"{format_international(self.base)}-{self.first_extension}…{self.last_extension}"

    @property
    def is_single(self) -> bool:
        return self.first_extension is None

    def extensions(self) -> list[str]:
        """Every extension of the range that the seed's rules allow."""
        if self.is_single:
            return [""]
        allowed = []
        for ext in range(self.first_extension, self.last_extension + 1):
            try:
                validate_extension(str(ext))
            except ValidationError:
                continue
            allowed.append(str(ext))
        return allowed

    def clean(self) -> None:
        errors: dict[str, list] = {}
        try:
            parsed = phonenumbers.parse(self.base, None)
            if not self.base.startswith("+49") or not phonenumbers.is_possible_number(parsed):
                raise phonenumbers.NumberParseException(0, "")
        except phonenumbers.NumberParseException:
            raise ValidationError(
                {"base": _("Bitte eine deutsche Rufnummer im Format +49... angeben.")}
            ) from None
        self.base = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
        if phonenumbers.number_type(parsed) == phonenumbers.PhoneNumberType.MOBILE:
            errors.setdefault("base", []).append(
                _("Mobilfunknummern können keinem SIP-Trunk zugeordnet werden.")
            )
        if (self.first_extension is None) != (self.last_extension is None):
            errors.setdefault("last_extension", []).append(
                _("Erste und letzte Durchwahl gehören zusammen: beide angeben oder keine.")
            )
        elif not self.is_single:
            if self.first_extension > self.last_extension:
                errors.setdefault("last_extension", []).append(
                    _("Die letzte Durchwahl muss größer oder gleich der ersten sein.")
                )
            elif self.last_extension - self.first_extension + 1 > MAX_BLOCK_SIZE:
                errors.setdefault("last_extension", []).append(
                    _("Ein Block darf höchstens %(max)d Rufnummern umfassen.")
                    % {"max": MAX_BLOCK_SIZE}
                )
            if len(str(self.last_extension)) > MAX_EXTENSION_DIGITS:
                errors.setdefault("last_extension", []).append(
                    _("Eine Durchwahl darf höchstens %(max)d Ziffern haben.")
                    % {"max": MAX_EXTENSION_DIGITS}
                )
            longest = len(national_digits(self.base)) + len(str(self.last_extension))
            if longest > MAX_NATIONAL_DIGITS:
                errors.setdefault("last_extension", []).append(
                    _(
                        "Mit dieser Durchwahl hätte die Rufnummer %(count)d Ziffern ohne die "
                        "führende 0; erlaubt sind höchstens 12 (14 mit +49)."
                    )
                    % {"count": longest}
                )
        else:
            try:
                validate_number_length(self.base)
            except ValidationError as exc:
                errors.setdefault("base", []).extend(exc.messages)
        if errors:
            raise ValidationError(errors)


class NumberQuerySet(models.QuerySet):
    """Whether a number is held, answered here only: a workplace (any status) has it assigned,
    or a setup draft reserved it. Each is a unique column, so a number has at most one of each.
    """

    def assigned(self) -> NumberQuerySet:
        """The numbers a workplace holds (ordering asks this: a rival draft loses the lock)."""
        return self.filter(workplaces__isnull=False)

    def held(self, *, except_draft_id: int | None = None) -> NumberQuerySet:
        """The numbers held by a workplace or by a draft (other than ``except_draft_id``)."""
        by_draft = models.Q(drafts__isnull=False)
        if except_draft_id is not None:
            by_draft &= ~models.Q(drafts__pk=except_draft_id)
        return self.filter(models.Q(workplaces__isnull=False) | by_draft)

    def by_e164(self, trunk: SipTrunk | int, text: object, *, lock: bool = False) -> Number | None:
        """The trunk's number whose E.164 form is ``text``, or None (also for text that is not
        an E.164 number, which never reaches the query). ``lock``: the row locked for update."""
        value = str(text or "").strip()
        if not (value.startswith("+") and value[1:].isascii() and value[1:].isdigit()):
            return None
        trunk_id = trunk if isinstance(trunk, int) else trunk.pk
        found = self.filter(trunk_id=trunk_id, e164=value)
        return (found.select_for_update() if lock else found).first()

    def free(self, *, including: int | None = None) -> NumberQuerySet:
        """The numbers :meth:`held` does not return, and ``including`` (the pk of the number
        the asking draft holds) with them.

        Asked as NOT EXISTS, not as outer joins with IS NULL: PostgreSQL estimates the joins
        to leave one row, sorts every number of the trunk for the first page (150 ms for
        100,000), where with NOT EXISTS it walks the number index and stops (1 ms).
        """
        free = ~self._held_by("workplaces") & ~self._held_by("drafts")
        if including is not None:
            free |= models.Q(pk=including)
        return self.filter(free)

    def _held_by(self, relation: str) -> models.Exists:
        """Whether a holder of ``relation`` (workplaces, drafts: apps above this one) has the
        number, as a subquery."""
        holders = self.model._meta.get_field(relation).related_model
        return models.Exists(holders.objects.filter(number=models.OuterRef("pk")))


class Number(models.Model):
    """One dialable number of a trunk. Held by at most one workplace or one draft."""

    trunk = models.ForeignKey(SipTrunk, on_delete=models.CASCADE, related_name="numbers")
    block = models.ForeignKey(NumberBlock, on_delete=models.CASCADE, related_name="numbers")
    e164 = models.CharField(_("Rufnummer"), max_length=20, unique=True)
    extension = models.CharField(_("Durchwahl"), max_length=MAX_EXTENSION_DIGITS, blank=True)

    objects = NumberQuerySet.as_manager()

    class Meta:
        verbose_name = _("Rufnummer")
        verbose_name_plural = _("Rufnummern")
        ordering = ["e164"]
        indexes = [models.Index(fields=["trunk", "e164"], name="trunks_number_trunk_e164")]

    def __str__(self) -> str:
        return self.international

    @property
    def national(self) -> str:
        return format_national(self.e164, self.extension)

    @property
    def international(self) -> str:
        return format_international(self.e164, self.extension)
