from functools import partial

from django.conf import settings


def portal(request):
    unread = 0
    recent = list
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        from notifications.selectors import notification_recent, notification_unread_count

        unread = notification_unread_count(user=user)
        # The bell's list: a callable, so only pages that render the header query it.
        recent = partial(notification_recent, user=user)
    return {
        "HOTLINE_PHONE": settings.HOTLINE_PHONE,
        "SUPPORT_EMAIL": settings.SUPPORT_EMAIL,
        "SHOW_DEV_OUTBOX": settings.SHOW_DEV_OUTBOX,
        "unread_notifications": unread,
        "recent_notifications": recent,
    }
