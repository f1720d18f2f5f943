from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from orders.models import Order, OrderItem, OrderStatusChange


class HistoryInline(admin.TabularInline):
    """Rows that order processing writes: shown, never added or removed by hand."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class OrderItemInline(HistoryInline):
    model = OrderItem
    fields = ["kind", "workplace", "package", "workplace_net", "package_net", "outcome"]
    readonly_fields = fields


class OrderStatusChangeInline(HistoryInline):
    model = OrderStatusChange
    fields = ["status", "note", "created_at"]
    readonly_fields = fields


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["number", "customer", "placed_by", "status", "monthly_net", "created_at"]
    list_filter = ["status", "customer"]
    search_fields = ["number", "code", "customer__name", "placed_by__username"]
    search_help_text = _("Auftragsnummer, Kunde oder Benutzername des Bestellers")
    list_select_related = ["customer", "placed_by"]
    readonly_fields = ["number", "customer", "placed_by", "submission", "monthly_net", "status"]
    inlines = [OrderItemInline, OrderStatusChangeInline]

    def has_change_permission(self, request: HttpRequest, obj: Order | None = None) -> bool:
        """A completed order is a record: it can be looked at, not changed."""
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or obj.status != Order.Status.COMPLETED)

    def has_delete_permission(self, request: HttpRequest, obj: Order | None = None) -> bool:
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or obj.status != Order.Status.COMPLETED)
