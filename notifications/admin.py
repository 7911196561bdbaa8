"""Staff see a citizen's messages: the inbox rows and each e-mail/SMS with its delivery state.

Everything is read-only; the one action puts a failed message back in the queue
(notifications.services.outbound_resend). Bodies of messages with one-time codes are never shown.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from notifications.models import Notification, OutboundMessage
from notifications.services import ResendRefused, outbound_resend

_HIDDEN = gettext_lazy("[скрыто: одноразовый код]")


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "recipient", "event", "title", "read_at"]
    list_filter = ["event", ("read_at", admin.EmptyFieldListFilter)]
    list_select_related = ["recipient"]
    search_fields = ["recipient__email", "recipient__phone", "recipient__last_name", "title"]
    search_help_text = gettext_lazy("E-mail, телефон или фамилия гражданина; заголовок")
    fields = ["recipient", "event", "title", "body", "link", "created_at", "read_at"]
    readonly_fields = fields
    date_hierarchy = "created_at"


@admin.register(OutboundMessage)
class OutboundMessageAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "user", "channel", "event", "recipient", "status", "attempts", "sent_at", "error"]
    list_filter = ["status", "channel", "event"]
    list_select_related = ["user"]
    search_fields = ["user__email", "user__phone", "user__last_name", "recipient"]
    search_help_text = gettext_lazy("E-mail, телефон или фамилия гражданина; адрес или номер получателя")
    fields = [
        "user",
        "channel",
        "event",
        "recipient",
        "status",
        "attempts",
        "last_error",
        "created_at",
        "next_attempt_at",
        "sent_at",
        "subject",
        "text",
    ]
    readonly_fields = fields
    date_hierarchy = "created_at"
    actions = ["resend"]

    @admin.display(description=gettext_lazy("ошибка"))
    def error(self, obj: OutboundMessage) -> str:
        return obj.last_error[:80]

    @admin.display(description=gettext_lazy("текст"))
    def text(self, obj: OutboundMessage) -> str:
        # A pending or failed code message still holds its code until it is sent: staff never see it.
        return str(_HIDDEN) if obj.is_sensitive else obj.body

    def has_resend_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("notifications.resend_outboundmessage")

    @admin.action(description=gettext_lazy("Отправить повторно (только недоставленные)"), permissions=["resend"])
    def resend(self, request: HttpRequest, queryset: QuerySet[OutboundMessage]) -> None:
        resent = 0
        for message in queryset.order_by("pk"):
            try:
                outbound_resend(message_id=message.pk)
            except ResendRefused as refused:
                self.message_user(request, f"#{message.pk}: {refused.message}", messages.WARNING)
            else:
                resent += 1
        if resent:
            self.message_user(
                request,
                ngettext(
                    "%(count)d сообщение поставлено в очередь на отправку.",
                    "%(count)d сообщений поставлено в очередь на отправку.",
                    resent,
                )
                % {"count": resent},
                messages.SUCCESS,
            )
        elif not queryset.exists():
            self.message_user(request, _("Ничего не выбрано."), messages.WARNING)
