from django.urls import path

from workplaces import manage_views, views

app_name = "workplaces"

urlpatterns = [
    path("arbeitsplaetze/", manage_views.overview, name="overview"),
    path("arbeitsplaetze/export.csv", manage_views.export_csv, name="export"),
    path("arbeitsplaetze/<str:code>/", manage_views.detail, name="detail"),
    path("arbeitsplaetze/<str:code>/bearbeiten/", manage_views.edit, name="edit"),
    path(
        "arbeitsplaetze/<str:code>/passwort-zuruecksetzen/",
        manage_views.reset_password,
        name="reset_password",
    ),
    path("einrichten/", views.start, name="start"),
    path("einrichten/trunk/<str:trunk_code>/", views.new, name="new"),
    path("einrichtung/<str:code>/benutzername/", views.check_username, name="check_username"),
    path("einrichtung/<str:code>/verwerfen/", views.discard, name="discard"),
    path("einrichtung/<str:code>/<str:slug>/", views.step, name="step"),
]
