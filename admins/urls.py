from django.urls import path

from admins import views

app_name = "admins"

urlpatterns = [
    path("", views.admin_list, name="list"),
    path("<str:username>/", views.edit, name="edit"),
    path("<str:username>/deaktivieren/", views.deactivate, name="deactivate"),
]
