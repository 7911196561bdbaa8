"""Celery tasks for accounts: each calls exactly one service and is safe to run twice."""

from celery import shared_task

from accounts import services
from accounts.login import password_reset
from accounts.verification import services as verification_services


@shared_task(acks_late=True, soft_time_limit=300, time_limit=360)
def identity_video_purge_task() -> int:
    """Beat, hourly: delete verification videos past IDENTITY_VIDEO_RETENTION_DAYS after the decision.

    Idempotent: a rerun finds nothing left to delete and returns 0.
    """
    return verification_services.identity_video_purge_expired()


@shared_task(soft_time_limit=30, time_limit=45)
def password_reset_email_task(email: str) -> int:
    """Send the reset link(s) for a typed address (an address, not a key: unknown ones have no row).

    Runs after the request answered, so the page takes the same time for known and unknown addresses.
    """
    return password_reset.password_reset_email_send(email=email)


@shared_task(soft_time_limit=600, time_limit=660)
def sessions_clear_expired_task() -> None:
    """Beat, daily: `clearsessions` — delete expired sessions. Idempotent."""
    services.sessions_expired_purge()
