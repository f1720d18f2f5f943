from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET
from django_htmx.http import HttpResponseClientRedirect

from portal.access import actor_of, changes_required, get_scoped
from portal.errors import Refusal
from trunks.models import SipTrunk
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


@changes_required
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


@changes_required
def new(request: HttpRequest, trunk_code: str) -> HttpResponse:
    """Step 2 of a wizard run that has no draft yet: saving it creates the draft."""
    trunk = get_scoped(quota.with_places(SipTrunk.objects.all()), request, trunk_code)
    actor = actor_of(request)
    step = wizard.STEPS[1]
    draft = SetupDraft(trunk=trunk, customer_id=trunk.customer_id, created_by=request.user)
    form = step.form(request, draft, request.POST or None)
    if request.method != "POST" or not form.is_valid():
        if not setup.check_trunk(trunk=trunk, actor=actor).ok:  # no place left
            return redirect("wizard:start")
        return _render_step(request, draft, step, form)
    try:
        draft = setup.start_draft(actor=actor, trunk=trunk, user_data=form.cleaned_data)
    except Refusal as error:
        if "trunk" in error.errors:  # the last place went to another admin meanwhile
            return redirect("wizard:start")
        show(form, error)
        return _render_step(request, draft, step, form)
    return _go(request, step_url(draft, wizard.next_step(step)))


@changes_required
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
@changes_required
def check_username(request: HttpRequest, code: str) -> HttpResponse:
    """While typing (htmx): the failed username rule, or that the name is free."""
    draft = get_draft_for(request, code)
    checked = setup.check_username_while_typing(
        actor=actor_of(request), username=request.GET.get("username", ""), draft=draft
    )
    context = {"errors": checked.errors.get("username"), "username": checked.values.get("username")}
    return render(request, "workplaces/wizard/step_login.html#username-check", context)


@changes_required
def discard(request: HttpRequest, code: str) -> HttpResponse:
    draft = get_draft_for(request, code)
    if request.method == "POST":
        setup.release_draft(actor=actor_of(request), draft=draft)
        return redirect("manage:overview")
    return render(request, "workplaces/wizard/discard.html", {"draft": draft})
