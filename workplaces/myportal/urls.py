from django.urls import path

from workplaces.myportal import views as myportal

app_name = "myportal"

urlpatterns = [
    path("", myportal.home, name="home"),
    path("anmelden/", myportal.LoginView.as_view(), name="login"),
    path("passwort/", myportal.password_change, name="password_change"),
    path("passwort-vergessen/", myportal.password_forgotten, name="password_forgotten"),
]
