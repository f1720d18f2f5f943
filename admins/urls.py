from django.urls import path

from admins import invitation_views, views

app_name = "admins"

urlpatterns = [
    path("", views.admin_list, name="list"),
    path("einladen/", invitation_views.invite, name="invite"),
    path("einladungen/<str:code>/erneut-senden/", invitation_views.resend, name="resend"),
    path("einladungen/<str:code>/widerrufen/", invitation_views.revoke, name="revoke"),
    path("<str:username>/", views.edit, name="edit"),
    path("<str:username>/deaktivieren/", views.deactivate, name="deactivate"),
]
