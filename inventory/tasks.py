from celery import shared_task

from inventory import services


@shared_task
def expire_due_reservations() -> int:
    """Beat task: give back the units of every reservation past its expiry."""
    return services.expire_due_reservations()
