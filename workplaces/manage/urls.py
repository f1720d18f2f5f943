from django.urls import path

from workplaces.manage import views

app_name = "manage"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("sip-trunk/trunks/<str:code>/rufnummern/", views.trunk_numbers, name="numbers"),
    path("sip-trunk/arbeitsplaetze/", views.overview, name="overview"),
    path("sip-trunk/arbeitsplaetze/export.csv", views.export_csv, name="export"),
    path("sip-trunk/arbeitsplaetze/export.xlsx", views.export_list, name="export_list"),
    path("sip-trunk/arbeitsplaetze/<str:code>/", views.detail, name="detail"),
    path("sip-trunk/arbeitsplaetze/<str:code>/bearbeiten/", views.edit, name="edit"),
    path(
        "sip-trunk/arbeitsplaetze/<str:code>/passwort-zuruecksetzen/",
        views.reset_password,
        name="reset_password",
    ),
    path(
        "sip-trunk/arbeitsplaetze/<str:code>/telefon-einrichten/",
        views.send_phone_setup,
        name="send_phone_setup",
    ),
    path(
        "sip-trunk/arbeitsplaetze/<str:code>/kuendigung-zuruecknehmen/",
        views.withdraw_cancellation,
        name="withdraw_cancellation",
    ),
]
