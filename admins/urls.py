from django.urls import path

from admins import invitation_views, views

app_name = "admins"

urlpatterns = [
    path("", views.admin_list, name="list"),
    path("einladen/", invitation_views.invite, name="invite"),
    path("zwei-faktor-pflicht/", views.two_factor_requirement, name="two_factor_requirement"),
    path("einladungen/<str:code>/erneut-senden/", invitation_views.resend, name="resend"),
    path("einladungen/<str:code>/widerrufen/", invitation_views.revoke, name="revoke"),
    path("<str:username>/", views.edit, name="edit"),
    path("<str:username>/deaktivieren/", views.deactivate, name="deactivate"),
    path("<str:username>/zwei-faktor-zuruecksetzen/", views.reset_two_factor, name="reset_2fa"),
]
