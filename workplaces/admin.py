from __future__ import annotations

from django.contrib import admin

from workplaces.models import SetupDraft, Workplace


@admin.register(Workplace)
class WorkplaceAdmin(admin.ModelAdmin):
    list_display = ["username", "first_name", "last_name", "trunk", "number", "package", "status"]
    list_filter = ["status", "package", "trunk__customer", "trunk"]
    search_fields = ["username", "first_name", "last_name", "number__e164", "auth_email"]
    list_select_related = ["trunk", "number", "package"]
    readonly_fields = ["username", "user", "code", "created_at", "activated_at"]
    raw_id_fields = ["number"]


@admin.register(SetupDraft)
class SetupDraftAdmin(admin.ModelAdmin):
    list_display = ["code", "first_name", "last_name", "username", "trunk", "status", "updated_at"]
    list_filter = ["status", "customer"]
    search_fields = ["username", "first_name", "last_name", "created_by__username"]
    list_select_related = ["trunk"]
    raw_id_fields = ["number"]
