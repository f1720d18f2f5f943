from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self) -> None:
        from notifications.signals import message_delivery_recorded
        from orders.signals import order_status_changed
        from webhooks import events

        order_status_changed.connect(events.on_order_status_changed, dispatch_uid="webhooks")
        message_delivery_recorded.connect(
            events.on_message_delivery_recorded, dispatch_uid="webhooks"
        )
