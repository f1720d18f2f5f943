from django.urls import path

from api import views

app_name = "api"

urlpatterns = [
    path("", views.keys, name="keys"),
    path("<str:code>/widerrufen/", views.revoke, name="revoke"),
    path("webhooks/", views.webhook_add, name="webhook_add"),
    path("webhooks/<str:code>/entfernen/", views.webhook_remove, name="webhook_remove"),
    path(
        "webhooks/zustellungen/<str:code>/erneut-senden/",
        views.webhook_resend,
        name="webhook_resend",
    ),
]
