from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AdminsConfig(AppConfig):
    name = "admins"
    verbose_name = _("Administratoren")
