from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from portal.access import customer_admin_required, customer_of
from portal.forms import LoginForm


def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness for load balancers and the benchmark's baseline: no database, no template."""
    return HttpResponse("ok", content_type="text/plain")


class LoginView(auth_views.LoginView):
    template_name = "portal/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


@customer_admin_required
def dashboard(request: HttpRequest) -> HttpResponse:
    from trunks.services import trunk_overview

    customer = customer_of(request)
    return render(request, "portal/dashboard.html", {"trunks": trunk_overview(customer)})
