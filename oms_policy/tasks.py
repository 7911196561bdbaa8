"""Celery tasks of policy-update requests: the electronic policy, deadlines. Each calls exactly one
service and is safe to run twice."""

from __future__ import annotations

import gc
import logging

from celery import shared_task
from celery.signals import worker_init
from django.conf import settings

from oms_policy import deadline_services, policy_services

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, reject_on_worker_lost=True, soft_time_limit=60, time_limit=90)
def policy_issue_task(request_id: int) -> str:
    """Issue the policy and its signed PDF for an approved request (oms_policy.policy_services.policy_issue).

    acks_late + reject_on_worker_lost: a worker killed mid-task leaves the message to be delivered
    again; the service's state guard (the request is still APPROVED) makes the second run a no-op
    once the first one committed.
    """
    document = policy_services.policy_issue(request_id=request_id)
    return str(document.pk) if document is not None else ""


@shared_task(soft_time_limit=50, time_limit=60)
def policy_issue_pending_task() -> int:
    """Beat: enqueue the issue again for approved requests whose task was lost."""
    return len(policy_services.policy_issue_pending())


@worker_init.connect
def _warm_up(**kwargs) -> None:
    """Before the pool starts: the first policy in a fresh worker must not pay for importing WeasyPrint
    and pyHanko and loading the fonts and the key (about 2 s here). Prefork children inherit it all
    through fork (no library involved starts a thread), so a child's start-up is not slowed down."""
    if not settings.POLICY_WORKER_WARM_UP:
        return
    try:
        policy_services.policy_issue_warm_up()
    except Exception:  # a broken font or key must not stop the worker; the task will report it
        logger.exception("policy PDF warm-up failed")
    # Everything loaded so far lives as long as the process: move it out of the collector's way, or
    # the first task pays for a full collection over it (and prefork children keep the pages shared).
    gc.collect()
    gc.freeze()


@shared_task(soft_time_limit=240, time_limit=300)
def policy_request_reminders_send_task() -> int:
    """Reminders 3 days and 1 day before a documents deadline (beat, hourly in the daytime)."""
    return deadline_services.policy_request_reminders_send()


@shared_task(soft_time_limit=240, time_limit=300)
def policy_request_deadlines_expire_task() -> int:
    """Requests whose documents deadline passed move to «Просрочена» (beat, hourly)."""
    return deadline_services.policy_request_deadlines_expire()
