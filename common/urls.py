"""URL names reversed once per process.

`django.urls.reverse` walks the resolver's candidates and checks each with a regular expression:
~15 µs a link. A citizen page draws 20–60 links (the header, the cabinet menu, one per row), which
came to ~1 ms of a 5–8 ms page. The answer depends only on the arguments, the URLconf and the
script prefix, so it is kept in a bounded cache keyed by all of them and dropped when the URLconf
setting changes (tests override it).
"""

from __future__ import annotations

from functools import lru_cache

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import get_script_prefix, get_urlconf, reverse

# Plain values only: a model instance or a lazy string could render differently later.
_CACHEABLE = (int, str)


@lru_cache(maxsize=8192)
def _reverse(viewname: str, args: tuple, kwargs: tuple, current_app: str | None, urlconf, prefix: str) -> str:
    return reverse(viewname, urlconf=urlconf, args=args, kwargs=dict(kwargs), current_app=current_app)


def reverse_cached(viewname, *, args=(), kwargs=None, current_app: str | None = None) -> str:
    """`reverse(viewname, args=…, kwargs=…)`, remembered; raises NoReverseMatch as `reverse` does."""
    kwargs = kwargs or {}
    if not isinstance(viewname, str) or not all(type(value) in _CACHEABLE for value in (*args, *kwargs.values())):
        return reverse(viewname, args=args, kwargs=kwargs, current_app=current_app)
    return _reverse(
        viewname, tuple(args), tuple(sorted(kwargs.items())), current_app, get_urlconf(), get_script_prefix()
    )


def reverse_cache_clear() -> None:
    _reverse.cache_clear()


@receiver(setting_changed)
def _urlconf_changed(*, setting: str, **kwargs) -> None:
    if setting == "ROOT_URLCONF":
        reverse_cache_clear()
