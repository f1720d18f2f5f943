from __future__ import annotations

from django import forms
from django.contrib import admin

from orders.models import Feature, Order, OrderItem, OrderStatusChange, Package


class PackageForm(forms.ModelForm):
    features = forms.MultipleChoiceField(
        choices=Feature.choices, widget=forms.CheckboxSelectMultiple, required=False
    )

    class Meta:
        model = Package
        fields = [
            "code",
            "kind",
            "name",
            "rank",
            "features",
            "monthly_net",
            "minimum_term_days",
            "active",
        ]


@admin.register(Package)
class PackageAdmin(admin.ModelAdmin):
    form = PackageForm
    list_display = ["name", "kind", "rank", "monthly_net", "minimum_term_days", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["name", "code"]


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
