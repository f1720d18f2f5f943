from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET
from django_htmx.http import HttpResponseClientRedirect

from portal.access import actor_of, customer_admin_required, customer_of
from portal.errors import Refusal
from workplaces.access import get_draft_for
from workplaces.fields import show
from workplaces.models import SetupDraft
from workplaces.services import quota, setup
from workplaces.wizard import steps as wizard


def _go(request: HttpRequest, url: str) -> HttpResponse:
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def step_url(draft: SetupDraft, step: wizard.Step) -> str:
    return reverse("wizard:step", args=[draft.code, step.slug])


def _render_step(request, draft, step, form, status=200, **extra) -> HttpResponse:
    context = {
        "draft": draft,
        "step": step,
        "form": form,
        "progress": wizard.progress(draft, step),
        "previous": wizard.previous_step(step),
        **step.context(request, draft, form),
        **extra,
    }
    template = step.template
    if request.htmx and not request.htmx.boosted and step.partials:
        fragment = request.GET.get("fragment")
        template += "#" + (fragment if fragment in step.partials else step.partials[0])
    return render(request, template, context, status=status)


@customer_admin_required
def start(request: HttpRequest) -> HttpResponse:
    """Step 1: pick the trunk; skipped when the customer has one trunk with room left."""
    step = wizard.STEPS[0]
    form = step.form(request, None, request.POST or None)
    trunks = form.trunks
    if request.method == "GET" and len(trunks) == 1 and trunks[0].quota_left > 0:
        return redirect("wizard:new", trunks[0].code)
    if request.method == "POST" and form.is_valid():
        return _go(request, reverse("wizard:new", args=[form.cleaned_data["trunk"].code]))
    return _render_step(request, None, step, form)


@customer_admin_required
def new(request: HttpRequest, trunk_code: str) -> HttpResponse:
    """Step 2 of a wizard run that has no draft yet: saving it creates the draft."""
    trunk = next(
        (t for t in quota.trunk_overview(customer_of(request)) if str(t.code) == trunk_code), None
    )
    if trunk is None:
        raise Http404
    if trunk.quota_left <= 0:
        return redirect("wizard:start")
    step = wizard.STEPS[1]
    draft = SetupDraft(trunk=trunk, customer=trunk.customer, created_by=request.user)
    form = step.form(request, draft, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            draft = setup.start_draft(admin=request.user, trunk=trunk, user_data=form.cleaned_data)
        except Refusal:  # the last place went to another admin meanwhile
            return redirect("wizard:start")
        return _go(request, step_url(draft, wizard.next_step(step)))
    return _render_step(request, draft, step, form)


@customer_admin_required
def step(request: HttpRequest, code: str, slug: str) -> HttpResponse:
    draft = get_draft_for(request, code)
    current = wizard.STEP_BY_SLUG.get(slug)
    if current is None:
        return redirect(step_url(draft, wizard.first_incomplete(draft)))
    earliest = wizard.first_incomplete(draft)
    if wizard.STEPS.index(current) > wizard.STEPS.index(earliest):
        return redirect(step_url(draft, earliest))
    form = current.form(request, draft, request.POST if request.method == "POST" else None)
    if request.method == "POST" and (form is None or form.is_valid()):
        try:
            current.save(draft, form, actor=actor_of(request))
        except Refusal as error:
            if form is None:  # the summary step has no fields: the error stands above it
                return _render_step(request, draft, current, form, error=error.message)
            show(form, error)
            return _render_step(request, draft, current, form)
        following = wizard.next_step(current)
        url = step_url(draft, following) if following else reverse("orders:cart")
        return _go(request, url)
    return _render_step(request, draft, current, form)


@require_GET
@customer_admin_required
def check_username(request: HttpRequest, code: str) -> HttpResponse:
    """While typing (htmx): the failed username rule, or that the name is free."""
    draft = get_draft_for(request, code)
    checked = setup.check_username_while_typing(
        admin=request.user, username=request.GET.get("username", ""), draft=draft
    )
    context = {"errors": checked.errors.get("username"), "username": checked.values.get("username")}
    return render(request, "workplaces/wizard/step_login.html#username-check", context)


@customer_admin_required
def discard(request: HttpRequest, code: str) -> HttpResponse:
    draft = get_draft_for(request, code)
    if request.method == "POST":
        setup.release_draft(draft=draft)
        return redirect("manage:overview")
    return render(request, "workplaces/wizard/discard.html", {"draft": draft})
