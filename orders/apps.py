from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("Aufträge")

    def ready(self) -> None:
        from orders.services import orders_with_page
        from portal import links

        links.register("order", "orders:detail", orders_with_page)
