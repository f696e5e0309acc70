from celery import shared_task

from customers import services
from customers.partitions import ensure_partitions
from customers.services import giftcards


@shared_task
def raise_back_in_stock_tasks(pairs: list[list[int]]) -> int:
    return services.raise_back_in_stock_tasks(pairs=[(v, loc) for v, loc in pairs])


@shared_task
def raise_birthday_tasks() -> int:
    """Beat, daily: birthday and important-date calls a week ahead."""
    return services.raise_birthday_tasks() + services.raise_important_date_tasks()


@shared_task
def expire_inactive_points() -> int:
    """Beat, daily: points of accounts idle for a year lapse."""
    return services.expire_inactive_points()


@shared_task
def expire_gift_cards() -> int:
    """Beat, daily: gift cards past their validity lose what is left on them (an `expire` entry)."""
    return giftcards.expire_gift_cards()


@shared_task
def recalculate_tiers() -> int:
    """Beat, daily: spend older than 12 months rolls off, so tiers can drop."""
    return services.recalculate_all_tiers()


@shared_task
def create_timeline_partitions() -> int:
    """Beat, daily: the timeline's months exist well before their first row (customers/partitions.py)."""
    return len(ensure_partitions())
