from axes.apps import AppConfig as AxesAppConfig
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Portal")


class LoginThrottleConfig(AxesAppConfig):
    """django-axes under a German name in the back office (its own is "Axes")."""

    verbose_name = _("Anmeldeschutz")
