"""The back office's view of workplaces and drafts: it changes them only through the services.

Fields that have rules (status, number, package, username, the reservations) are read-only
here; the person's data is checked by the setup service's rules and saved by
``lifecycle.update_workplace`` (with an audit event), and the actions call the same services
as the customer's pages.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from portal.access import client_ip
from portal.errors import Refusal
from portal.policy import Actor
from trunks.admin import NumberSearchMixin
from workplaces.fields import show
from workplaces.models import PERSON_FIELDS, SetupDraft, Workplace
from workplaces.services import credentials, lifecycle, setup

RULED_FIELDS = ["code", "trunk", "username", "user", "number", "package", "package_booked_on"]
HISTORY_FIELDS = [
    "status",
    "created_by",
    "created_at",
    "activated_at",
    "cancel_on",
    "deleted_at",
]


class WorkplaceAdminForm(forms.ModelForm):
    """The person's data under the setup service's rules (the same as the edit page)."""

    class Meta:
        model = Workplace
        fields = list(PERSON_FIELDS)

    def clean(self):
        cleaned = super().clean()
        checked = setup.check_user_data(data=cleaned).merge(
            setup.check_contacts(
                auth_email=cleaned.get("auth_email"),
                mobile=cleaned.get("mobile"),
                without_mobile=None,
            )
        )
        show(self, checked)
        return self.cleaned_data


@admin.register(Workplace)
class WorkplaceAdmin(NumberSearchMixin, admin.ModelAdmin):
    form = WorkplaceAdminForm
    number_search_field = "number__e164"
    search_help_text = _(
        "Name, Benutzername, E-Mail-Adresse oder Rufnummer (z. B. 0228 181234-20 oder +49 228 …)"
    )
    list_display = ["username", "first_name", "last_name", "trunk", "number", "package", "status"]
    list_filter = ["status", "package", "trunk__customer", "trunk"]
    search_fields = ["username", "first_name", "last_name", "number__e164", "auth_email"]
    list_select_related = ["trunk", "number", "package"]
    fields = [*RULED_FIELDS, *PERSON_FIELDS, *HISTORY_FIELDS]
    readonly_fields = [*RULED_FIELDS, *HISTORY_FIELDS]
    actions = ["send_new_password"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # workplaces come from orders

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # a deletion is an order (or a scheduled cancellation) of the customer

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or lifecycle.not_in_service_refusal(obj) is None)

    def save_model(self, request: HttpRequest, obj: Workplace, form, change: bool) -> None:
        data = {name: form.cleaned_data[name] for name in PERSON_FIELDS}
        data["without_mobile"] = not data["mobile"]
        current = Workplace.objects.select_related("trunk").get(pk=obj.pk)
        try:
            lifecycle.update_workplace(
                workplace=current, data=data, actor=Actor.for_staff(request.user)
            )
        except Refusal as error:  # checked by the form; a rule may have changed since
            self.message_user(request, error.message, messages.ERROR)

    @admin.action(description=_("Neues temporäres Passwort senden"))
    def send_new_password(self, request: HttpRequest, queryset: QuerySet[Workplace]) -> None:
        sent = 0
        actor = Actor.for_staff(request.user)
        for workplace in queryset.select_related("trunk"):
            try:
                credentials.reset_password(
                    workplace=workplace, actor=actor, remote_addr=client_ip(request)
                )
            except Refusal:  # not in service, or no login: the count says how many got one
                continue
            sent += 1
        self.message_user(
            request,
            ngettext(
                "Ein neues temporäres Passwort ist an %(count)d Benutzer unterwegs.",
                "Neue temporäre Passwörter sind an %(count)d Benutzer unterwegs.",
                sent,
            )
            % {"count": sent},
        )


@admin.register(SetupDraft)
class SetupDraftAdmin(admin.ModelAdmin):
    list_display = ["code", "first_name", "last_name", "username", "trunk", "status", "updated_at"]
    list_filter = ["status", "customer"]
    search_fields = ["username", "first_name", "last_name", "created_by__username"]
    list_select_related = ["trunk"]
    actions = ["release"]

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list[str]:
        return [f.name for f in SetupDraft._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.action(description=_("Verwerfen und Benutzername und Rufnummer freigeben"))
    def release(self, request: HttpRequest, queryset: QuerySet[SetupDraft]) -> None:
        live = list(queryset.filter(status__in=SetupDraft.LIVE))
        actor = Actor.for_staff(request.user)
        for draft in live:
            setup.release_draft(actor=actor, draft=draft)
        self.message_user(
            request,
            ngettext("%(count)d Entwurf verworfen.", "%(count)d Entwürfe verworfen.", len(live))
            % {"count": len(live)},
        )
