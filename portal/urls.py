from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from portal import twofactor_views, views
from portal.metrics_http import metrics_view

portal_patterns = [
    path("anmelden/", views.LoginView.as_view(), name="login"),
    path("anmelden/code/", twofactor_views.code_step, name="two_factor_code"),
    path("anmelden/zwei-faktor/", twofactor_views.setup, name="two_factor_setup"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("sip-trunk/protokoll/", views.protokoll, name="protokoll"),
    path("mitarbeiter/", views.staff_start, name="staff_start"),
    path("abmelden/", auth_views.LogoutView.as_view(), name="logout"),
]

urlpatterns = [
    path("", include((portal_patterns, "portal"))),
    path("metrics", metrics_view, name="metrics"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("sip-trunk/arbeitsplaetze/import/", include("workplaces.listimport.urls")),
    path("", include("workplaces.manage.urls")),
    path("sip-trunk/", include("workplaces.wizard.urls")),
    path("sip-trunk/", include("orders.urls")),
    path("sip-trunk/api-schluessel/", include("api.urls")),
    path("sip-trunk/administratoren/", include("admins.urls")),
    path("einladung/", include("admins.urls_invitation")),
    path("api/v1/", include("api.urls_v1")),
    path("myportal/", include("workplaces.myportal.urls")),
    path("entwicklung/", include("notifications.urls")),
    path("betrieb/", admin.site.urls),
]
