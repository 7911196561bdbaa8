"""Reads for accounts that views, forms and other apps share (writes live in the services)."""

from __future__ import annotations

from accounts.constants import IdentityLevel, VerificationStatus
from accounts.models import IdentityVerification, User


def identity_verification_can_submit(*, user: User) -> bool:
    """Both contacts confirmed, identity not yet confirmed, nothing waiting for a verifier."""
    if user.identity_level != IdentityLevel.STANDARD:
        return False
    return not IdentityVerification.objects.filter(user=user, status=VerificationStatus.PENDING).exists()


def identity_verification_latest(*, user: User) -> IdentityVerification | None:
    """The citizen's most recent verification, whatever its status (a read used by the page)."""
    return IdentityVerification.objects.filter(user=user).order_by("-submitted_at", "-pk").first()
