"""MyPortal: the end user's login, forced password change, own workplace page and reset."""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters

from portal.access import client_ip
from portal.errors import Refusal
from portal.forms import has_lockout_error
from workplaces.myportal import services
from workplaces.myportal.forms import (
    MyPortalLoginForm,
    PasswordChangeForm,
    PasswordForgottenForm,
)


def end_user_required(
    *, temporary_password_ok: bool = False
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Only the login of a live workplace passes, as ``request.workplace``.

    Until the temporary password is replaced, every page but "Passwort ändern" leads there.
    """

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path(), reverse("myportal:login"))
            request.workplace = services.workplace_of(request.user)
            if request.workplace is None:
                raise PermissionDenied
            if request.user.must_change_password and not temporary_password_ok:
                return redirect("myportal:password_change")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


#: Set in a session that began with the temporary password: "Passwort ändern" right after
#: that login does not ask for it again (the user has just typed it).
TEMPORARY_LOGIN = "myportal_temporary_login"


class LoginView(auth_views.LoginView):
    template_name = "workplaces/myportal/login.html"
    authentication_form = MyPortalLoginForm
    next_page = "myportal:home"

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if services.workplace_of(request.user) is not None:
            return redirect("myportal:home")
        return super().get(request, *args, **kwargs)

    def form_valid(self, form) -> HttpResponse:
        response = super().form_valid(form)
        if self.request.user.must_change_password:
            self.request.session[TEMPORARY_LOGIN] = True
        return response

    def get_success_url(self) -> str:
        if self.request.user.must_change_password:
            return reverse("myportal:password_change")
        return super().get_success_url()


@end_user_required()
def home(request: HttpRequest) -> HttpResponse:
    context = {
        "workplace": request.workplace,
        "connection": services.connection_of(request.workplace),
    }
    return render(request, "workplaces/myportal/home.html", context)


@sensitive_post_parameters()
@end_user_required(temporary_password_ok=True)
def password_change(request: HttpRequest) -> HttpResponse:
    just_logged_in = request.user.must_change_password and request.session.get(TEMPORARY_LOGIN)
    form = PasswordChangeForm(request, request.POST or None, ask_current=not just_logged_in)
    if request.method == "POST" and form.is_valid():
        try:
            services.change_password(user=request.user, password=form.cleaned_data["new_password"])
        except Refusal as exc:
            form.add_error(None, exc.message)
        else:
            update_session_auth_hash(request, request.user)
            request.session.pop(TEMPORARY_LOGIN, None)
            messages.success(request, _("Ihr neues Passwort ist gespeichert."))
            return redirect("myportal:home")
    # A TemplateResponse: django-axes' lockout response (portal.views.locked_out) finds the
    # form in it and keeps this page with its message.
    return TemplateResponse(
        request,
        "workplaces/myportal/password_change.html",
        {"form": form, "first_time": request.user.must_change_password},
        status=429 if has_lockout_error(form) else 200,
    )


def password_forgotten(request: HttpRequest) -> HttpResponse:
    form = PasswordForgottenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.request_password_reset(
                username=form.cleaned_data["username"],
                address=client_ip(request),
                language=request.LANGUAGE_CODE,
            )
        except Refusal as exc:
            form.add_error(None, exc.message)
            return render(
                request, "workplaces/myportal/password_forgotten.html", {"form": form}, status=429
            )
        messages.info(
            request,
            _(
                "Wenn zu diesem Benutzernamen ein aktiver Zugang besteht, erhalten Sie in wenigen "
                "Minuten ein neues temporäres Passwort – per SMS an die hinterlegte "
                "Mobilfunknummer oder, ohne Mobilfunknummer, per E-Mail. Ihr bisheriges Passwort "
                "gilt weiter, bis Sie sich zum ersten Mal mit dem neuen anmelden."
            ),
        )
        return redirect("myportal:login")
    return render(request, "workplaces/myportal/password_forgotten.html", {"form": form})
