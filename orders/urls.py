from django.urls import path

from orders import changes, views

app_name = "orders"

urlpatterns = [
    path("warenkorb/", views.cart, name="cart"),
    path("warenkorb/aenderung/<str:code>/entfernen/", views.remove_change, name="remove_change"),
    path("arbeitsplaetze/<str:code>/paket/", changes.change_package, name="change_package"),
    path("arbeitsplaetze/<str:code>/loeschen/", changes.delete, name="delete"),
    path("warenkorb/bestellen/", views.place, name="place"),
    path("warenkorb/<str:code>/entfernen/", views.remove, name="remove"),
    path("kontingente/", views.status, name="status"),
    path("auftraege/", views.order_list, name="list"),
    path("auftraege/<str:code>/", views.detail, name="detail"),
    path(
        "auftraege/<str:code>/nachrichten/<str:notification_code>/erneut-senden/",
        views.resend,
        name="resend",
    ),
]
