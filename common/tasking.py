"""Enqueue Celery tasks after commit, without ever losing the citizen's work.

The row that a task works on is committed first; the task is published only after commit. If the
broker is down the publish fails quietly (logged): the row stays in its pending state and the
periodic sweep scheduled by beat picks it up later. With no broker configured (the embedded
default) the task runs in-process, after commit, through the same call.

A failed publish also pauses publishing from this process for TASK_PUBLISH_PAUSE_SECONDS: during
an outage every commit would otherwise wait for the broker's connect time-outs and retries again
(per task, two or more per submission) before the citizen gets an answer. Paused tasks are left to
the same sweeps; the first commit after the pause tries the broker again.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from celery import Task
from django.conf import settings
from django.db import transaction
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)

# Broker URL → time.monotonic() until which this process does not try it (after a failed publish).
_publish_paused_until: dict[str, float] = {}


def enqueue_on_commit(task: Task, *args: Any) -> None:
    def publish() -> None:
        broker = "" if task.app.conf.task_always_eager else str(task.app.conf.broker_url)
        if broker and time.monotonic() < _publish_paused_until.get(broker, 0.0):
            logger.error("broker failed a moment ago: %s%r not published, left for the periodic sweep", task.name, args)
            return
        try:
            task.delay(*args)
        except OperationalError:  # the broker is down or unreachable
            if broker:
                _publish_paused_until[broker] = time.monotonic() + settings.TASK_PUBLISH_PAUSE_SECONDS
            logger.exception("could not publish %s%r; left for the periodic sweep", task.name, args)
        except Exception:  # a failing in-process task: the sweep will retry
            logger.exception("could not run or publish %s%r; left for the periodic sweep", task.name, args)

    transaction.on_commit(publish)
