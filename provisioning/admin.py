from __future__ import annotations

from django.contrib import admin

from provisioning.models import RegistrarJob


@admin.register(RegistrarJob)
class RegistrarJobAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "username", "ref", "status", "attempts", "last_error"]
    list_filter = ["status", "kind", "last_error"]
    search_fields = ["username", "ref", "e164"]
    readonly_fields = [f.name for f in RegistrarJob._meta.fields if f.name not in ("id",)]

    def has_add_permission(self, request) -> bool:
        return False
