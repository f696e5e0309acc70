from celery import shared_task

from retail import outbox, services


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None)
def deliver_outbox_message(self, message_id: int) -> str:
    result = outbox.deliver_outbox_message(message_id=message_id)
    if result == "retry":
        from retail.models import OutboxMessage

        attempts = OutboxMessage.objects.filter(pk=message_id).values_list("attempts", flat=True).first() or 1
        raise self.retry(countdown=outbox.backoff(attempts).total_seconds())
    return result


@shared_task
def sweep_outbox() -> int:
    """Re-dispatch every pending message that is due: what a lost worker or broker left behind."""
    ids = outbox.due_outbox_message_ids()
    for message_id in ids:
        deliver_outbox_message.delay(message_id)
    return len(ids)


@shared_task
def purge_idempotency_keys() -> int:
    return services.purge_expired_idempotency_keys()
