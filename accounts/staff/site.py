"""The staff admin site: django-otp's OTPAdminSite, with a TOTP app as the only accepted factor.

portal/urls.py turns the default ``admin.site`` into this class, so every ModelAdmin registered
with ``@admin.register`` stays where it is and the whole admin needs the second factor.
"""

from __future__ import annotations

from django.http import HttpRequest
from django_otp.admin import OTPAdminSite
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.staff.forms import TotpAdminAuthenticationForm


class PortalAdminSite(OTPAdminSite):
    login_form = TotpAdminAuthenticationForm
    login_template = "admin/accounts/login.html"

    def has_permission(self, request: HttpRequest) -> bool:
        """Staff, active, and verified in this session by a TOTP app.

        A session verified by an SMS code on the citizens' login page is not enough: staff are
        sent to the admin login to enter a code from their app.
        """
        return super().has_permission(request) and isinstance(getattr(request.user, "otp_device", None), TOTPDevice)
