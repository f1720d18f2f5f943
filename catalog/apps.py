from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = _("Katalog")

    def ready(self) -> None:
        from catalog import offer
        from catalog.models import Package

        for name, signal in (("saved", post_save), ("deleted", post_delete)):
            signal.connect(offer.forget, sender=Package, dispatch_uid=f"catalog.offer.{name}")
