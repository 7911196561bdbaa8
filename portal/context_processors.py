from django.conf import settings
from django.utils.functional import LazyObject, empty

# The citizen's own pages: base.html puts the cabinet menu beside them. The cabinet page itself
# lays the menu out in its own template; staff pages (console, look-up, admin) never get it.
CABINET_NAMESPACES = frozenset({"notifications", "oms_policy", "documents"})
CABINET_VIEWS = frozenset(
    {
        "policy:my-policy",
        "accounts:identity",
        "accounts:security",
        "accounts:security_reauth",
        "accounts:security_totp_add",
        "accounts:security_backup_codes",
        "accounts:security_factor_remove",
        "accounts:contact-change",
        "accounts:contact-change-verify",
        "accounts:contact-change-code",
        "accounts:contact-change-email-sent",
        "support:chat",
        "support:rate-request",
    }
)


def _is_cabinet_page(request, user) -> bool:
    match = getattr(request, "resolver_match", None)
    if match is None or user is None or not user.is_authenticated or user.is_staff:
        return False
    return match.namespace in CABINET_NAMESPACES or match.view_name in CABINET_VIEWS


def _unwrapped(user):
    """The user object itself. `request.user` is django-otp's lazy object around Django's lazy object,
    so each `user.…` a template reads went through two proxies (~5.5 µs a read, dozens a page)."""
    while isinstance(user, LazyObject):
        if user._wrapped is empty:
            user._setup()
        user = user._wrapped
    return user


def portal(request):
    bell = None
    user = _unwrapped(getattr(request, "user", None))
    if user is not None and user.is_authenticated:
        from notifications.selectors import notification_bell

        bell = notification_bell(user=user)  # queries only if the page shows the bell
    context = {} if user is None else {"user": user}
    return context | {
        "HOTLINE_PHONE": settings.HOTLINE_PHONE,
        "SUPPORT_EMAIL": settings.SUPPORT_EMAIL,
        "SHOW_DEV_OUTBOX": settings.SHOW_DEV_OUTBOX,
        "bell": bell,
        "cabinet_nav": _is_cabinet_page(request, user),
    }
