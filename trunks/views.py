from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from portal.access import customer_admin_required
from trunks.access import get_trunk_for
from trunks.forms import NumberSearchForm
from trunks.services import number_holders, search_numbers

NUMBERS_PER_PAGE = 50


@customer_admin_required
def trunk_numbers(request: HttpRequest, code: str) -> HttpResponse:
    trunk = get_trunk_for(request, code)
    form = NumberSearchForm(request.GET or None)
    query, only_free = "", False
    if form.is_valid():
        query, only_free = form.cleaned_data["q"], form.cleaned_data["free"]
    paginator = Paginator(search_numbers(trunk, query, only_free=only_free), NUMBERS_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    holders = number_holders(page.object_list)
    rows = [(number, holders.get(number.pk)) for number in page.object_list]
    template = "workplaces/manage/numbers.html"
    if request.htmx:
        template += "#results"
    context = {"trunk": trunk, "form": form, "page": page, "rows": rows}
    return render(request, template, context)
