"""``/api/v1/``: included by its module name, so the bottom layer (``portal.urls``) imports
nothing of the API."""

from api.v1 import api

urlpatterns, _ninja, app_name = api.urls
