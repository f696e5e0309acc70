from celery import shared_task

from inventory import pricing, services


@shared_task
def expire_due_reservations() -> int:
    """Beat task: give back the units of every reservation past its expiry."""
    return services.expire_due_reservations()


@shared_task
def run_price_schedules() -> dict[str, int]:
    """Beat task: start the scheduled price changes whose start has come, end those whose end has."""
    return pricing.run_price_schedules()
