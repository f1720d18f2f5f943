from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.urls import reverse, reverse_lazy
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from portal.models import AuditEvent, Customer, User, UsernameClaim

admin.site.site_header = _("SIP-Trunk Portal: Betrieb")
admin.site.site_title = _("SIP-Trunk Portal")
# "Website anzeigen": the portal's start page is the customers' (it refuses staff); staff get
# their own, with the ways into the portal that are theirs.
admin.site.site_url = reverse_lazy("portal:staff_start")

#: What the customer page links to: (admin changelist, filter parameter, label).
CUSTOMER_LISTS = (
    ("admin:trunks_siptrunk_changelist", "customer__id__exact", _("SIP-Trunks")),
    ("admin:workplaces_workplace_changelist", "trunk__customer__id__exact", _("Arbeitsplätze")),
    ("admin:orders_order_changelist", "customer__id__exact", _("Aufträge")),
    ("admin:portal_user_changelist", "customer__id__exact", _("Benutzer")),
)


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["name", "number", "code", "lists"]
    search_fields = ["name", "number", "code"]
    readonly_fields = ["lists"]

    @admin.display(description=_("Zum Kunden"))
    def lists(self, customer: Customer) -> str:
        if customer.pk is None:
            return "–"
        return format_html_join(
            " · ",
            '<a href="{}?{}={}">{}</a>',
            ((reverse(url), param, customer.pk, label) for url, param, label in CUSTOMER_LISTS),
        )


def _refuse_claimed(username: str, user: User | None) -> str:
    """Usernames are one namespace with the workplaces and the wizard's drafts."""
    claims = UsernameClaim.objects.named(username)
    if user is not None and user.pk:
        claims = claims.exclude(user=user)
    if claims.exists():
        raise ValidationError(
            _("Der Benutzername „%(name)s“ ist vergeben."),
            code="username_taken",
            params={"name": username},
        )
    return username


class ClaimingUserCreationForm(AdminUserCreationForm):
    def clean_username(self):
        return _refuse_claimed(super().clean_username(), None)


class ClaimingUserChangeForm(UserChangeForm):
    def clean_username(self):
        return _refuse_claimed(self.cleaned_data["username"], self.instance)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    add_form = ClaimingUserCreationForm
    form = ClaimingUserChangeForm
    list_display = ["username", "first_name", "last_name", "customer", "is_staff", "is_active"]
    list_filter = ["is_staff", "is_active", "customer"]
    list_select_related = ["customer"]
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (
            _("Kunde"),
            {
                "fields": (
                    "customer",
                    "must_change_password",
                    "temporary_password_set_at",
                    "pending_password_set_at",
                )
            },
        ),
    )
    readonly_fields = ["temporary_password_set_at", "pending_password_set_at"]

    def user_change_password(self, request, id, form_url=""):
        """A workplace's login gets its passwords only through the portal's password flows,
        which also write them to the SIP registrar: here that path would skip it."""
        user = self.get_object(request, id)
        if user is not None and getattr(user, "workplace", None) is not None:
            self.message_user(
                request,
                _(
                    "Das Passwort eines Arbeitsplatz-Benutzers ändern Sie hier nicht: Senden Sie "
                    "unter „SIP-Trunk Arbeitsplätze“ ein neues temporäres Passwort."
                ),
                messages.ERROR,
            )
            return HttpResponseRedirect(reverse("admin:portal_user_change", args=[user.pk]))
        return super().user_change_password(request, id, form_url)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "customer", "actor", "action", "text"]
    list_filter = ["action", "object_type", "customer"]
    search_fields = ["search_text", "object_code", "actor__username"]
    list_select_related = ["customer", "actor"]
    readonly_fields = [f.name for f in AuditEvent._meta.fields]

    @admin.display(description=_("Beschreibung"))
    def text(self, event: AuditEvent) -> str:
        return event.text

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
