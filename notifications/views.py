from __future__ import annotations

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from notifications import dev_outbox as outbox


def dev_outbox(request: HttpRequest) -> HttpResponse:
    """Development only: what would have been sent by e-mail and SMS.

    It shows temporary passwords, so only to those who could get them anyway: a customer
    admin sees the messages of the own customer, staff see all. Without DEBUG it does not
    exist, for anyone.
    """
    if not settings.DEBUG:
        raise Http404
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if user.is_staff and user.is_active:
        customer = None
    elif user.is_customer_admin:
        customer = user.customer
    else:
        raise Http404
    context = {
        "customer": customer,
        "mails": outbox.mails_for(customer=customer),
        "sms": outbox.sms_for(customer=customer),
    }
    return render(request, "notifications/dev_outbox.html", context)
