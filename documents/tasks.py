"""Celery tasks for documents: each calls exactly one service and is safe to run twice."""

from celery import shared_task

from documents import services
from documents.antivirus import ScannerUnavailable


# A scanner that is down never lets a file through: the check is retried with backoff (the document
# stays «проверяется»), and the resume sweep enqueues it again after the retries run out.
@shared_task(
    acks_late=True,
    soft_time_limit=120,
    time_limit=150,
    autoretry_for=(ScannerUnavailable,),
    retry_backoff=5,
    retry_backoff_max=300,
    retry_jitter=False,
    max_retries=6,
)
def scan_check_task(document_id: int) -> str:
    return services.scan_check(document_id=document_id)


@shared_task(acks_late=True, soft_time_limit=60, time_limit=90)
def document_preview_task(document_id: int) -> bool:
    return services.document_preview_make(document_id=document_id)


@shared_task(soft_time_limit=50, time_limit=60)
def documents_scan_check_resume_task() -> int:
    """Beat, every 5 minutes: documents left «проверяется» by a broker or scanner outage."""
    return services.documents_scan_check_resume()


@shared_task(acks_late=True, soft_time_limit=600, time_limit=660)
def documents_retention_purge_task() -> int:
    """Beat, every 6 hours: delete the scans of requests decided DOCUMENT_RETENTION_DAYS ago."""
    return services.documents_retention_purge()
