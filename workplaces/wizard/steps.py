"""The six steps of the seed as step classes; one dispatcher view walks them.

Each step knows its part of the draft (whose label it shows), template, form and when it is complete. Asking for a later step
redirects to the first incomplete one; "Zurück" keeps what was entered (the draft holds it).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.models import MINIMUM_TERM_DAYS, monthly_price
from portal.access import actor_of
from portal.policy import Actor
from trunks.forms import NumberSearchForm
from trunks.services import numbers_paginator
from workplaces.forms import UserDataForm
from workplaces.models import SetupDraft
from workplaces.services import quota, setup
from workplaces.services.holders import Holder, number_holders
from workplaces.wizard.forms import LoginDataForm, NumberChoiceForm, PackageChoiceForm, TrunkForm

NUMBERS_PER_PAGE = 25


class Step:
    slug: str
    #: The part of the draft this step fills (``SetupDraft.PARTS``); None for the summary.
    part: str | None
    template: str
    #: The template's partials an htmx request may ask for (``?fragment=``); the first is the
    #: default. Without any, htmx gets the whole page.
    partials: tuple[str, ...] = ("step-form",)

    @property
    def label(self) -> str:
        """The part's label, as the draft names it (``SetupDraft.PARTS``)."""
        return SetupDraft.PARTS[self.part]

    def is_complete(self, draft: SetupDraft) -> bool:
        """The draft decides what it has; the step only asks."""
        return draft.has(self.part)

    def form(self, request: HttpRequest, draft: SetupDraft, data=None):
        raise NotImplementedError

    def save(self, draft: SetupDraft, form, *, actor: Actor) -> None:
        raise NotImplementedError

    def context(self, request: HttpRequest, draft: SetupDraft, form) -> dict:
        return {}


class TrunkStep(Step):
    slug = "sip-trunk"
    part = "trunk"
    template = "workplaces/wizard/step_trunk.html"

    def form(self, request, draft, data=None):
        trunks = quota.trunk_overview(request.user.customer, actor=actor_of(request))
        initial = {"trunk": draft.trunk.code} if draft and draft.trunk_id else None
        actor = actor_of(request)
        return TrunkForm(data, trunks=trunks, actor=actor, draft=draft, initial=initial)

    def save(self, draft, form, *, actor):
        setup.change_trunk(actor=actor, draft=draft, trunk=form.cleaned_data["trunk"])

    def context(self, request, draft, form):
        return {"trunks": form.trunks}


class UserDataStep(Step):
    slug = "benutzerdaten"
    part = "user_data"
    template = "workplaces/wizard/step_userdata.html"

    def form(self, request, draft, data=None):
        return UserDataForm(data, person=draft, check=False)

    def save(self, draft, form, *, actor):
        setup.save_user_data(actor=actor, draft=draft, user_data=form.cleaned_data)


class LoginDataStep(Step):
    slug = "benutzeranmeldung"
    part = "login"
    template = "workplaces/wizard/step_login.html"

    def form(self, request, draft, data=None):
        # A sent form shows what was sent: the suggestion (queries) only for a blank one.
        suggested = draft.username or (
            data is None
            and setup.suggest_username(first_name=draft.first_name, last_name=draft.last_name)
        )
        initial = {
            "username": suggested or "",
            "auth_email": draft.auth_email,
            "auth_email_repeat": draft.auth_email,
            "mobile": draft.mobile_national,
            "without_mobile": bool(draft.without_mobile),
        }
        return LoginDataForm(data, draft=draft, initial=initial)

    def save(self, draft, form, *, actor):
        setup.reserve_username(
            actor=actor,
            draft=draft,
            username=form.cleaned_data["username"],
            contacts=form.cleaned_data,
        )


@dataclass(frozen=True)
class NumberRow:
    """One row of step 4's number list."""

    e164: str
    national: str
    holder: Holder | None
    #: The number this draft holds.
    own: bool
    checked: bool


class NumberStep(Step):
    slug = "rufnummer"
    part = "number"
    template = "workplaces/wizard/step_number.html"
    partials = ("step-form", "numbers")

    def form(self, request, draft, data=None):
        return NumberChoiceForm(data, draft=draft)

    def save(self, draft, form, *, actor):
        setup.reserve_number(actor=actor, draft=draft, number=form.cleaned_data["number"])

    def context(self, request, draft, form):
        # "Nur freie Rufnummern" is on until the admin sends the search form (which always
        # sends ``q``); paging links keep what the form sent.
        sent = "q" in request.GET
        search = NumberSearchForm(request.GET if sent else None, initial={"free": True})
        query, only_free = "", True
        if sent and search.is_valid():
            query, only_free = search.cleaned_data["q"], search.cleaned_data["free"]
        paginator = numbers_paginator(
            draft.trunk, query, only_free=only_free, own=draft.number_id, per_page=NUMBERS_PER_PAGE
        )
        page = paginator.get_page(request.GET.get("page"))
        holders = number_holders(page.object_list)
        own = draft.number_id
        pairs = [(n, None if n.pk == own else holders.get(n.pk)) for n in page.object_list]
        preselected = self._next_free(draft, form, query, page, pairs)
        chosen = form["number"].value()
        return {
            "search": search,
            "page": page,
            # Worked out once here: the 25 rows print values instead of each asking the form,
            # the number and an included template again.
            "rows": [
                NumberRow(
                    e164=number.e164,
                    national=number.national,
                    holder=holder,
                    own=number.pk == own,
                    checked=number.pk == own or number.e164 in (chosen, preselected),
                )
                for number, holder in pairs
            ],
            "free_status": render_to_string("workplaces/manage/holder.html", {"holder": None}),
        }

    @staticmethod
    def _next_free(draft, form, query, page, rows) -> str | None:
        """The number checked before the admin chooses one: the trunk's next free number
        (``setup.next_free_number``), which is the first free row of the unsearched list's
        first page, whether it lists only free numbers or all (both ordered by number)."""
        if draft.number_id or form.is_bound or query or page.number != 1:
            return None
        return next((number.e164 for number, holder in rows if holder is None), None)


class PackageStep(Step):
    slug = "konferenzpaket"
    part = "package"
    template = "workplaces/wizard/step_package.html"

    def form(self, request, draft, data=None):
        initial = None
        if draft.package_chosen:
            initial = {"package": draft.package.code if draft.package else PackageChoiceForm.NONE}
        return PackageChoiceForm(data, packages=setup.conference_packages(), initial=initial)

    def save(self, draft, form, *, actor):
        setup.choose_package(actor=actor, draft=draft, package=form.cleaned_data["package"])

    def context(self, request, draft, form):
        today = timezone.localdate()
        workplace_net = monthly_price(None).workplace_net
        return {
            "packages": list(form.packages.values()),
            # What the workplace costs a month with each choice, the workplace's own price too.
            "none_price": monthly_price(None, workplace_net=workplace_net),
            "prices": [
                monthly_price(p, workplace_net=workplace_net) for p in form.packages.values()
            ],
            "earliest_change": today + timezone.timedelta(days=MINIMUM_TERM_DAYS),
            "minimum_term_days": MINIMUM_TERM_DAYS,
        }


class SummaryStep(Step):
    slug = "warenkorb"
    part = None
    label = _("Warenkorb")
    template = "workplaces/wizard/step_summary.html"
    partials = ()

    def is_complete(self, draft):
        return draft.status != SetupDraft.Status.OPEN

    def form(self, request, draft, data=None):
        return None

    def save(self, draft, form, *, actor):
        setup.add_to_cart(draft=draft, actor=actor)

    def context(self, request, draft, form):
        return {"price": monthly_price(draft.package)}


STEPS: tuple[Step, ...] = (
    TrunkStep(),
    UserDataStep(),
    LoginDataStep(),
    NumberStep(),
    PackageStep(),
    SummaryStep(),
)
STEP_BY_SLUG = {step.slug: step for step in STEPS}


def first_incomplete(draft: SetupDraft) -> Step:
    for step in STEPS:
        if not step.is_complete(draft):
            return step
    return STEPS[-1]


def next_step(step: Step) -> Step | None:
    index = STEPS.index(step)
    return STEPS[index + 1] if index + 1 < len(STEPS) else None


def previous_step(step: Step) -> Step | None:
    index = STEPS.index(step)
    return STEPS[index - 1] if index > 0 else None


def progress(draft: SetupDraft | None, current: Step) -> list[dict]:
    """The numbered header: each step done, current or to come, with a link when reachable."""
    reachable = True
    items = []
    for number, step in enumerate(STEPS, start=1):
        done = draft is not None and draft.pk is not None and step.is_complete(draft)
        items.append(
            {
                "number": number,
                "step": step,
                "done": done,
                "current": step is current,
                "link": reachable and draft is not None and draft.pk is not None,
            }
        )
        reachable = reachable and done
    return items
