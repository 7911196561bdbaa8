"""Enqueue Celery tasks after commit, without ever losing the citizen's work.

The row that a task works on is committed first; the task is published only after commit. If the
broker is down the publish fails quietly (logged): the row stays in its pending state and the
periodic sweep scheduled by beat picks it up later. With no broker configured (the embedded
default) the task runs in-process, after commit, through the same call.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Task
from django.db import transaction

logger = logging.getLogger(__name__)


def enqueue_on_commit(task: Task, *args: Any) -> None:
    def publish() -> None:
        try:
            task.delay(*args)
        except Exception:  # broker down, a failing in-process task: the sweep will retry
            logger.exception("could not run or publish %s%r; left for the periodic sweep", task.name, args)

    transaction.on_commit(publish)
