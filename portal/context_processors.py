from django.conf import settings


def portal(request):
    unread = 0
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        from notifications.selectors import notification_unread_count

        unread = notification_unread_count(user=user)
    return {
        "HOTLINE_PHONE": settings.HOTLINE_PHONE,
        "SUPPORT_EMAIL": settings.SUPPORT_EMAIL,
        "SHOW_DEV_OUTBOX": settings.SHOW_DEV_OUTBOX,
        "unread_notifications": unread,
    }
