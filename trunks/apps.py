from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrunksConfig(AppConfig):
    name = "trunks"
    verbose_name = _("SIP-Trunks")
