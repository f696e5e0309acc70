"""Signals customers receives from lower layers (connected in CustomersConfig.ready)."""

from django.dispatch import receiver

from inventory.signals import stock_back_in_stock


@receiver(stock_back_in_stock, dispatch_uid="customers.back_in_stock")
def on_back_in_stock(sender, pairs, **kwargs):
    """A wish-listed variant is sellable again somewhere: tasks for shoppers whose home store it is."""
    from customers.tasks import raise_back_in_stock_tasks

    raise_back_in_stock_tasks.delay([[int(v), int(loc)] for v, loc in pairs])
