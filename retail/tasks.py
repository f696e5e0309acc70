from celery import shared_task

from retail import outbox, services


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None)
def deliver_outbox_message(self, message_id: int, attempt: int | None = None) -> str:
    """Deliver one outbox message; `attempt` fences off duplicates (see retail.outbox)."""
    result, attempts = outbox.deliver_outbox_message(message_id=message_id, attempt=attempt)
    if result == "retry":
        raise self.retry(args=[message_id, attempts], countdown=outbox.backoff(attempts).total_seconds())
    return result


@shared_task
def sweep_outbox() -> int:
    """Re-dispatch pending messages whose lease ran out: what a lost worker or broker left behind."""
    due = outbox.take_due_outbox_messages()
    for message_id, attempts in due:
        services.dispatch_outbox_message(message_id=message_id, attempt=attempts)
    return len(due)


@shared_task
def purge_idempotency_keys() -> int:
    return services.purge_expired_idempotency_keys()
