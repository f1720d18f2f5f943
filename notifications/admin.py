from __future__ import annotations

from django.contrib import admin

from notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "channel", "masked_recipient", "status", "attempts"]
    list_filter = ["status", "kind", "channel"]
    search_fields = ["recipient", "last_error", "provider_id", "order__number"]
    list_select_related = ["order"]
    readonly_fields = [f.name for f in Notification._meta.fields if f.name not in ("id",)]

    def has_add_permission(self, request) -> bool:
        return False
