"""The rows' helpers show exactly what the slower built-ins showed."""

from __future__ import annotations

from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from orders.models import Order, OrderItem
from portal.links import Urls
from workplaces.models import Workplace


def render(source: str, **context) -> str:
    return Template("{% load rows %}" + source).render(Context(context))


def test_label_shows_the_display_of_every_choice_in_the_active_language():
    for language in ("de", "en"):
        with translation.override(language):
            for status, _ in Workplace.Status.choices:
                workplace = Workplace(status=status)
                shown = render('{{ w|label:"status" }}', w=workplace)
                assert shown == workplace.get_status_display()
            item = OrderItem(kind=OrderItem.Kind.PACKAGE_CHANGE)
            assert render('{{ i|label:"kind" }}', i=item) == item.get_kind_display()
    with translation.override("en"):
        assert render('{{ o|label:"status" }}', o=Order(status="completed")) != render(
            '{{ o|label:"status" }}', o=Order(status="failed")
        )


def test_label_shows_a_value_without_a_choice_as_it_is():
    assert render('{{ w|label:"status" }}', w=Workplace(status="unbekannt")) == "unbekannt"


def test_row_url_gives_what_url_gives_for_every_row():
    codes = ["a1b2c3d4-0000-4000-8000-000000000001", "a1b2c3d4-0000-4000-8000-000000000002"]
    shown = render("{% for c in codes %}{% row_url 'manage:detail' c %}|{% endfor %}", codes=codes)
    assert shown == "".join(f"{reverse('manage:detail', args=[c])}|" for c in codes)


def test_urls_quote_a_code_as_reverse_does():
    urls = Urls()
    for code in ("abc", "a b", "ä?#", "x:y@z!$&'()*+,;=~"):
        assert urls("orders:detail", code) == reverse("orders:detail", args=[code])
