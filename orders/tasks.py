"""Beat tasks of click-and-collect: reminders before the hold ends, expiry after it. Idempotent:
each pick-up is re-checked under its row lock, so overlapping or repeated runs act once."""

import logging

from celery import shared_task

from orders.errors import OrderError
from orders.services.assisted import due_payment_request_ids, expire_payment_request
from orders.services.lifecycle import due_pickup_ids, expire_pickup, send_pickup_reminder

log = logging.getLogger(__name__)


@shared_task
def send_pickup_reminders() -> int:
    remind, _ = due_pickup_ids()
    sent = 0
    for pk in remind:
        try:
            sent += send_pickup_reminder(fulfillment=pk)
        except OrderError:
            log.exception("reminder for pick-up %s failed", pk)
    return sent


@shared_task
def expire_pickups() -> int:
    _, due = due_pickup_ids()
    expired = 0
    for pk in due:
        try:
            expired += expire_pickup(fulfillment=pk)
        except OrderError:
            log.exception("expiry of pick-up %s failed", pk)
    return expired


@shared_task
def expire_payment_requests() -> int:
    """Assisted orders left unpaid (till or pay-by-link) past their time: cancelled, stock released."""
    expired = 0
    for pk in due_payment_request_ids():
        try:
            expired += expire_payment_request(request_id=pk)
        except OrderError:
            log.exception("expiry of payment request %s failed", pk)
    return expired
