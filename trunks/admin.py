from __future__ import annotations

from django.contrib import admin

from trunks.forms import NumberBlockForm
from trunks.models import Number, NumberBlock, SipTrunk
from trunks.services import save_number_block


class NumberBlockInline(admin.TabularInline):
    model = NumberBlock
    extra = 0
    show_change_link = True
    fields = ["base", "first_extension", "last_extension"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SipTrunk)
class SipTrunkAdmin(admin.ModelAdmin):
    list_display = ["name", "customer", "workplace_quota", "code"]
    list_filter = ["customer"]
    search_fields = ["name", "customer__name", "customer__number", "code"]
    inlines = [NumberBlockInline]


@admin.register(NumberBlock)
class NumberBlockAdmin(admin.ModelAdmin):
    form = NumberBlockForm
    list_display = ["__str__", "trunk", "first_extension", "last_extension"]
    list_filter = ["trunk__customer", "trunk"]
    search_fields = ["base", "trunk__name"]
    list_select_related = ["trunk"]

    def save_model(self, request, obj, form, change) -> None:
        save_number_block(obj)


@admin.register(Number)
class NumberAdmin(admin.ModelAdmin):
    list_display = ["e164", "extension", "trunk"]
    list_filter = ["trunk__customer", "trunk"]
    search_fields = ["e164"]
    list_select_related = ["trunk"]
    readonly_fields = ["trunk", "block", "e164", "extension"]

    def has_add_permission(self, request) -> bool:
        return False
