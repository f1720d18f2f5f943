"""Package changes and deletions of existing workplaces: they go through orders."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from orders import services
from orders.forms import PackageChangeForm
from portal.access import actor_of, changes_required
from portal.errors import Refusal
from workplaces.access import get_workplace_for, refuse_change
from workplaces.services import lifecycle, setup


@changes_required
def change_package(request: HttpRequest, code: str) -> HttpResponse:
    """Upgrade any time; downgrade or cancel after the minimum term. Goes through the cart."""
    workplace = get_workplace_for(request, code)
    if lifecycle.not_manageable_refusal(workplace):
        return refuse_change(request, workplace)
    options = lifecycle.package_options(
        workplace, setup.conference_packages(), timezone.localdate()
    )
    form = PackageChangeForm(request.POST or None, options=options)
    if request.method == "POST" and form.is_valid():
        try:
            services.add_package_change(
                actor=actor_of(request), workplace=workplace, package=form.cleaned_data["package"]
            )
        except Refusal as error:
            form.add_error("package", error.message)
        else:
            messages.success(request, _("Der Paketwechsel liegt im Warenkorb."))
            return redirect("orders:cart")
    context = {"workplace": workplace, "form": form, "options": options}
    return render(request, "orders/changes/package.html", context)


@changes_required
def delete(request: HttpRequest, code: str) -> HttpResponse:
    """A confirmation page that says what deleting does, then an order (or a scheduled date)."""
    workplace = get_workplace_for(request, code)
    if lifecycle.not_manageable_refusal(workplace):
        return refuse_change(request, workplace)
    earliest = workplace.earliest_deletion_on()
    today = timezone.localdate()
    if request.method == "POST":
        try:
            order = services.order_deletion(
                actor=actor_of(request), workplace=workplace, language=request.LANGUAGE_CODE
            )
        except Refusal as error:
            messages.error(request, error.message)
            return redirect("manage:detail", workplace.code)
        if order is None:
            messages.success(
                request,
                _("Kündigung vorgemerkt zum %(date)s.") % {"date": earliest.strftime("%d.%m.%Y")},
            )
            return redirect("manage:detail", workplace.code)
        return redirect("orders:detail", order.code)
    context = {
        "workplace": workplace,
        "earliest": earliest,
        "scheduled": bool(earliest and today < earliest),
    }
    return render(request, "orders/changes/delete.html", context)
