from django.urls import path

from workplaces.myportal import phone_setup
from workplaces.myportal import views as myportal

app_name = "myportal"

urlpatterns = [
    path("", myportal.home, name="home"),
    path("anmelden/", myportal.LoginView.as_view(), name="login"),
    path("passwort/", myportal.password_change, name="password_change"),
    path("passwort-vergessen/", myportal.password_forgotten, name="password_forgotten"),
    path("telefon/", phone_setup.page, name="phone_setup"),
    # No trailing slash: the softphone follows no redirect, the QR code carries this as is.
    path("p/<str:token>", phone_setup.provision, name="phone_provision"),
]
