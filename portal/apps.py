from axes.apps import AppConfig as AxesAppConfig
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    default = True  # the module holds two configs; "portal" in INSTALLED_APPS means this one
    name = "portal"
    verbose_name = _("Portal")

    def ready(self) -> None:
        from portal import logs_http, metrics, usercache

        metrics.count_logins()
        logs_http.connect()
        usercache.connect()


class LoginThrottleConfig(AxesAppConfig):
    """django-axes under a German name in the back office (its own is "Axes")."""

    verbose_name = _("Anmeldeschutz")
