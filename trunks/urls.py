from django.urls import path

from trunks import views

app_name = "trunks"

urlpatterns = [
    path("trunks/<str:code>/rufnummern/", views.trunk_numbers, name="numbers"),
]
