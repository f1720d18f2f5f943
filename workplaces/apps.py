from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkplacesConfig(AppConfig):
    name = "workplaces"
    verbose_name = _("Arbeitsplätze")

    def ready(self) -> None:
        from portal import links
        from workplaces.services.lifecycle import workplaces_with_page

        links.register("workplace", "manage:detail", workplaces_with_page)
