from django.conf import settings


def portal(request):
    bell = None
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        from notifications.selectors import notification_bell

        bell = notification_bell(user=user)  # queries only if the page shows the bell
    return {
        "HOTLINE_PHONE": settings.HOTLINE_PHONE,
        "SUPPORT_EMAIL": settings.SUPPORT_EMAIL,
        "SHOW_DEV_OUTBOX": settings.SHOW_DEV_OUTBOX,
        "bell": bell,
    }
