from django.urls import path

from api import views

app_name = "api"

urlpatterns = [
    path("", views.keys, name="keys"),
    path("<str:code>/widerrufen/", views.revoke, name="revoke"),
]
