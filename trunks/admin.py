from __future__ import annotations

import re

from django.contrib import admin
from django.db.models import QuerySet

from trunks.forms import NumberBlockForm
from trunks.models import Number, NumberBlock, SipTrunk
from trunks.numbers import parse_number_query
from trunks.services import count_numbers, save_number_block

#: A search term written like a phone number: ``0228 181234-20``, ``+49 228 18123420``.
_PHONE_LIKE = re.compile(r"\+?[\d\s/()-]+")


class NumberSearchMixin:
    """The changelist's search also finds a number written the way the portal shows it
    (``0228 181234-20``) or internationally, though the database keeps E.164 (``+4922818123420``).
    ``number_search_field`` names the E.164 field to compare."""

    number_search_field = "e164"

    def get_search_results(self, request, queryset: QuerySet, search_term: str):
        results, duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        number = parse_number_query(term) if _PHONE_LIKE.fullmatch(term) else None
        if number is not None and number.prefix:
            lookup = {f"{self.number_search_field}__startswith": number.prefix}
            results = results | queryset.filter(**lookup)
        return results, duplicates


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

    def delete_model(self, request, obj) -> None:
        super().delete_model(request, obj)
        count_numbers(obj.trunk_id)

    def delete_queryset(self, request, queryset) -> None:
        trunks = set(queryset.values_list("trunk_id", flat=True))
        super().delete_queryset(request, queryset)
        for trunk_id in trunks:
            count_numbers(trunk_id)


@admin.register(Number)
class NumberAdmin(NumberSearchMixin, admin.ModelAdmin):
    list_display = ["e164", "extension", "trunk"]
    list_filter = ["trunk__customer", "trunk"]
    search_fields = ["e164"]
    list_select_related = ["trunk"]
    readonly_fields = ["trunk", "block", "e164", "extension"]

    def has_add_permission(self, request) -> bool:
        return False
