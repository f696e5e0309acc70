from celery import current_app, shared_task

from webhooks import delivery


@shared_task(acks_late=True, reject_on_worker_lost=True)
def deliver_webhooks(subscription_id: int) -> str:
    """Send one subscription's due webhooks in order; re-queues itself for the next retry."""
    outcome, wait = delivery.deliver_for_subscription(subscription_id=subscription_id)
    if outcome == "wait" and not current_app.conf.task_always_eager:
        # Eager Celery (the demo) ignores countdowns: re-sending now would recurse until the stack
        # ran out while a receiver is down. There the sweep retries instead.
        delivery.dispatch(subscription_id, countdown=max(wait or 0.0, 0.05))
    elif outcome == "more":
        delivery.dispatch(subscription_id)
    return outcome


@shared_task
def sweep_webhooks() -> int:
    """Re-dispatch subscriptions with due deliveries and no live lease (lost task, killed worker)."""
    due = delivery.due_subscription_ids()
    for subscription_id in due:
        delivery.dispatch(subscription_id)
    return len(due)


@shared_task
def purge_webhook_log() -> int:
    return delivery.purge_delivery_log()
