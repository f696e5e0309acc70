from celery import shared_task

from insights import selectors
from insights.filters import default_period
from retail.replica import reporting


@shared_task
def refresh_stock_summary() -> int:
    """Beat task: count stock per location again, so that no page waits for the count (on the replica
    when it is fresh enough: the count scans every stock level)."""
    with reporting():
        return len(selectors.stock_summary(refresh=True)["rows"])


@shared_task
def refresh_sales_days() -> int:
    """Beat task: count head office's default period (every store, the past days) again, so that
    its page counts only today live (on the replica when it is fresh enough)."""
    period = default_period()
    with reporting():
        return selectors.refresh_sales_days(period.start, period.end)
