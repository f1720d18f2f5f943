from django.urls import path

from workplaces.listimport import views

app_name = "listimport"

urlpatterns = [
    path("vorlage.xlsx", views.template, {"kind": "xlsx"}, name="template_xlsx"),
    path("vorlage.csv", views.template, {"kind": "csv"}, name="template_csv"),
    path("<str:trunk_code>/", views.upload, name="upload"),
    path("<str:trunk_code>/<str:code>/", views.run, name="run"),
    path("<str:trunk_code>/<str:code>/warenkorb/", views.cart, name="cart"),
    path(
        "<str:trunk_code>/<str:code>/fehlerliste.xlsx",
        views.error_list,
        {"kind": "xlsx"},
        name="error_list_xlsx",
    ),
    path(
        "<str:trunk_code>/<str:code>/fehlerliste.csv",
        views.error_list,
        {"kind": "csv"},
        name="error_list_csv",
    ),
]
