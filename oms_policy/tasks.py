from celery import shared_task

from oms_policy import deadline_services


@shared_task(soft_time_limit=240, time_limit=300)
def policy_request_reminders_send_task() -> int:
    """Reminders 3 days and 1 day before a documents deadline (beat, hourly in the daytime)."""
    return deadline_services.policy_request_reminders_send()


@shared_task(soft_time_limit=240, time_limit=300)
def policy_request_deadlines_expire_task() -> int:
    """Requests whose documents deadline passed move to «Просрочена» (beat, hourly)."""
    return deadline_services.policy_request_deadlines_expire()
