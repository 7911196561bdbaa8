"""Admin for support: conversations (read only; the console is where operators work), saved
answers, and the citizens' ratings with a summary per week and per reviewer/operator."""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from support import selectors
from support.constants import RatingPoint
from support.models import Conversation, Message, SavedAnswer, ServiceRating


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class MessageInline(admin.TabularInline):
    model = Message
    fields = ["seq", "author_role", "author", "text", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["seq"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Conversation)
class ConversationAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "citizen", "status", "operator", "waiting_since", "last_message_at", "console_link"]
    list_filter = ["status"]
    list_select_related = ["citizen", "operator"]
    search_fields = ["messages__text", "citizen__last_name", "citizen__email"]
    date_hierarchy = "created_at"
    inlines = [MessageInline]
    readonly_fields = ["console_link"]

    @admin.display(description=_("Консоль"))
    def console_link(self, obj: Conversation) -> str:
        return format_html(
            '<a href="{}">{}</a>', reverse("support:console-conversation", args=[obj.pk]), _("открыть в консоли")
        )

    def get_search_results(self, request, queryset, search_term):
        queryset, _may_have_duplicates = super().get_search_results(request, queryset, search_term)
        return queryset.distinct(), False


@admin.register(SavedAnswer)
class SavedAnswerAdmin(admin.ModelAdmin):
    list_display = ["title", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["title", "text"]


@admin.register(ServiceRating)
class ServiceRatingAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "point", "score", "staff", "request", "conversation", "short_comment"]
    list_filter = ["point", "score", ("created_at", admin.DateFieldListFilter)]
    list_select_related = ["staff", "request", "conversation"]
    search_fields = ["comment", "staff__last_name", "staff__email"]
    change_list_template = "admin/support/servicerating/change_list.html"

    @admin.display(description=_("Комментарий"))
    def short_comment(self, obj: ServiceRating) -> str:
        return obj.comment[:80]

    def changelist_view(self, request, extra_context=None):
        points = dict(RatingPoint.choices)
        weekly = [
            {**row, "point_label": points.get(row["point"], row["point"])} for row in selectors.rating_weekly_summary()
        ]
        extra_context = {
            **(extra_context or {}),
            "weekly_summary": weekly,
            "staff_summary": selectors.rating_staff_summary(),
        }
        return super().changelist_view(request, extra_context=extra_context)
