"""`{% url %}` with the reversal remembered (common/urls.py), for every template.

Listed in TEMPLATES' `builtins`, after Django's own, so this `url` replaces the stock tag everywhere
without a `{% load %}`: same syntax, same output, same NoReverseMatch.
"""

from __future__ import annotations

from django import template
from django.template.defaulttags import URLNode
from django.template.defaulttags import url as stock_url
from django.urls import NoReverseMatch
from django.utils.html import conditional_escape

from common.urls import reverse_cached

register = template.Library()


class CachedURLNode(URLNode):
    def render(self, context) -> str:
        args = [arg.resolve(context) for arg in self.args]
        kwargs = {key: value.resolve(context) for key, value in self.kwargs.items()}
        view_name = self.view_name.resolve(context)
        try:
            current_app = context.request.current_app
        except AttributeError:
            try:
                current_app = context.request.resolver_match.namespace
            except AttributeError:
                current_app = None
        url = ""
        try:
            url = reverse_cached(view_name, args=args, kwargs=kwargs, current_app=current_app)
        except NoReverseMatch:
            if self.asvar is None:
                raise
        if self.asvar:
            context[self.asvar] = url
            return ""
        return conditional_escape(url) if context.autoescape else url


@register.tag
def url(parser, token) -> CachedURLNode:
    node = stock_url(parser, token)
    return CachedURLNode(node.view_name, node.args, node.kwargs, node.asvar)
