from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth import views as auth_views
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from portal import health, links, policy, twofactor_views
from portal.access import actor_of, customer_admin_required, customer_of
from portal.forms import LoginForm, ProtokollFilterForm, has_lockout_error, lockout_message
from portal.models import AuditEvent


def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness for load balancers and the benchmark's baseline: no database, no template."""
    return HttpResponse("ok", content_type="text/plain")


@staff_member_required
def staff_start(request: HttpRequest) -> HttpResponse:
    """ "Website anzeigen" of the back office: the customers' pages need a customer's admin,
    so staff get the ways into the portal that are open to them."""
    return render(request, "portal/staff_start.html", {"debug": settings.DEBUG})


def readyz(request: HttpRequest) -> HttpResponse:
    """Readiness: 200 when the database (and Redis, when configured) answer, else 503."""
    checks = health.readiness()
    ready = all(checks.values())
    body = {"status": "ok" if ready else "unavailable"} | {
        name: "ok" if up else "unavailable" for name, up in checks.items()
    }
    return JsonResponse(body, status=200 if ready else 503, headers={"Cache-Control": "no-store"})


class LoginView(auth_views.LoginView):
    template_name = "portal/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        twofactor_views.remember_requirement(self.request)
        return response

    def get_redirect_url(self) -> str:
        """``next``, unless it leads back to this page: the dashboard then, not a loop.

        Django refuses such a ``next`` for a logged-in user with an exception (a 500).
        """
        url = super().get_redirect_url()
        return "" if url and urlsplit(url).path == self.request.path else url


def locked_out(
    request: HttpRequest, response: HttpResponse | None, credentials: dict | None
) -> HttpResponse:
    """django-axes' lockout response (``AXES_LOCKOUT_CALLABLE``).

    Our pages (the logins, "Passwort ändern") already show the German lockout message in the
    form; they keep it, with status 429. Other login forms (the operators' admin site) get the
    message as plain text.
    """
    form = (getattr(response, "context_data", None) or {}).get("form")
    if form is not None and has_lockout_error(form):
        response.status_code = 429
        return response
    return HttpResponse(
        lockout_message(request), status=429, content_type="text/plain; charset=utf-8"
    )


PROTOKOLL_PER_PAGE = 50


@customer_admin_required
def protokoll(request: HttpRequest) -> HttpResponse:
    """Every change in the customer's portal, newest first, with filters."""
    form = ProtokollFilterForm(request.GET or None)
    events = AuditEvent.objects.filter(customer=customer_of(request)).select_related("actor")
    events = policy.visible(actor_of(request), events)
    if form.is_valid():
        events = form.apply(events)
    page = Paginator(events, PROTOKOLL_PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = links.attach(page.object_list, customer_of(request).pk)
    return render(request, "portal/protokoll.html", {"form": form, "page": page})
