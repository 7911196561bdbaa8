"""`{% url %}` (portal/templatetags/url_cached.py): the stock tag's output, each link reversed once."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.test import override_settings
from django.urls import NoReverseMatch, reverse

from common import urls as cached_urls


@pytest.fixture(autouse=True)
def empty_cache():
    cached_urls.reverse_cache_clear()
    yield
    cached_urls.reverse_cache_clear()


@pytest.fixture
def reversals(monkeypatch):
    calls = []

    def counting_reverse(*args, **kwargs):
        calls.append(args[0])
        return reverse(*args, **kwargs)

    monkeypatch.setattr(cached_urls, "reverse", counting_reverse)
    return calls


def render(source: str, **context) -> str:
    return Template(source).render(Context(context))


def test_the_tag_gives_what_reverse_gives_for_names_args_and_kwargs():
    assert render("{% url 'cabinet' %}") == reverse("cabinet")
    assert render("{% url 'notifications:open' 17 %}") == reverse("notifications:open", args=[17])
    assert render("{% url 'notifications:open' pk %}", pk=18) == reverse("notifications:open", args=[18])
    assert render("{% url 'notifications:open' notification_id=pk %}", pk=19) == reverse(
        "notifications:open", kwargs={"notification_id": 19}
    )
    assert render("{% url 'cabinet' as link %}[{{ link }}]") == f"[{reverse('cabinet')}]"


def test_a_link_is_reversed_once_and_each_argument_separately(reversals):
    for _ in range(3):
        render("{% url 'cabinet' %}{% url 'notifications:open' 1 %}{% url 'notifications:open' 2 %}")
    assert sorted(reversals) == ["cabinet", "notifications:open", "notifications:open"]


def test_an_unknown_name_still_fails_and_as_var_swallows_it_as_stock_django_does():
    with pytest.raises(NoReverseMatch):
        render("{% url 'no-such-page' %}")
    assert render("{% url 'no-such-page' as link %}[{{ link }}]") == "[]"


def test_objects_are_not_remembered_only_plain_values(reversals):
    class Key:
        def __str__(self) -> str:
            return "5"

    render("{% url 'notifications:open' key %}", key=Key())
    render("{% url 'notifications:open' key %}", key=Key())
    assert reversals == ["notifications:open", "notifications:open"]


def test_a_changed_urlconf_is_not_answered_from_the_cache():
    before = render("{% url 'cabinet' %}")
    with override_settings(ROOT_URLCONF="bench.urls"), pytest.raises(NoReverseMatch):
        render("{% url 'cabinet' %}")
    assert render("{% url 'cabinet' %}") == before
