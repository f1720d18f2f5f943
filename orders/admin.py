from __future__ import annotations

from django.contrib import admin

from orders.models import Order, OrderItem, OrderStatusChange


class OrderItemInline(admin.TabularInline):
    model = OrderItem
    extra = 0
    can_delete = False
    readonly_fields = ["kind", "workplace", "package", "workplace_net", "package_net"]


class OrderStatusChangeInline(admin.TabularInline):
    model = OrderStatusChange
    extra = 0
    can_delete = False
    readonly_fields = ["status", "note", "created_at"]


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["number", "customer", "placed_by", "status", "monthly_net", "created_at"]
    list_filter = ["status", "customer"]
    search_fields = ["number", "code", "customer__name", "placed_by__username"]
    list_select_related = ["customer", "placed_by"]
    readonly_fields = ["number", "customer", "placed_by", "submission", "monthly_net", "status"]
    inlines = [OrderItemInline, OrderStatusChangeInline]
