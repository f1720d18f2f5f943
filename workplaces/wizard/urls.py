from django.urls import path

from workplaces.wizard import views

app_name = "wizard"

urlpatterns = [
    path("einrichten/", views.start, name="start"),
    path("einrichten/trunk/<str:trunk_code>/", views.new, name="new"),
    path("einrichtung/<str:code>/benutzername/", views.check_username, name="check_username"),
    path("einrichtung/<str:code>/verwerfen/", views.discard, name="discard"),
    path("einrichtung/<str:code>/<str:slug>/", views.step, name="step"),
]
