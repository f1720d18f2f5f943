from django.urls import path

from notifications import views

app_name = "notifications"

urlpatterns = [path("postausgang/", views.dev_outbox, name="dev_outbox")]
