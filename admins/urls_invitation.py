from django.urls import path

from admins import invitation_views

app_name = "invitation"

urlpatterns = [
    path("", invitation_views.accept, name="accept"),
    path("<str:token>/", invitation_views.open_link, name="open"),
]
