from celery import shared_task

from notifications import services


# Nobody reads its result: without ignore_result every publish also subscribed the web process to
# the result channel in Redis (a round trip per message) and the worker wrote each result back.
@shared_task(acks_late=True, ignore_result=True, soft_time_limit=30, time_limit=45)
def outbound_deliver_task(message_id: int) -> str:
    return services.outbound_deliver(message_id=message_id)


@shared_task(soft_time_limit=50, time_limit=60)
def outbound_deliver_pending_task() -> int:
    """The sweep: sends what a broker outage or a dead worker left pending."""
    return services.outbound_deliver_pending()
