from celery import shared_task

from portal import services


@shared_task(soft_time_limit=10, time_limit=20)
def heartbeat_task() -> str:
    """Record that a worker is alive; beat schedules it every minute, /readyz can show it."""
    return services.heartbeat_record()
