"""Signals customers receives from lower layers (connected in CustomersConfig.ready)."""

import logging

from allauth.account.signals import email_confirmed
from django.dispatch import receiver

from customers.errors import CustomerError
from customers.services.linking import link_verified_identity
from customers.tasks import raise_back_in_stock_tasks
from inventory.signals import stock_back_in_stock

log = logging.getLogger(__name__)


@receiver(stock_back_in_stock, dispatch_uid="customers.back_in_stock")
def on_back_in_stock(sender, pairs, **kwargs):
    """A wish-listed variant is sellable again somewhere: tasks for shoppers whose home store it is."""

    raise_back_in_stock_tasks.delay([[int(v), int(loc)] for v, loc in pairs])


@receiver(email_confirmed, dispatch_uid="customers.email_confirmed")
def on_email_confirmed(sender, request, email_address, **kwargs):
    """allauth verified a login's email: now (and only now) it may be linked to the profile holding it."""

    if not email_address.user_id:
        return
    try:
        link_verified_identity(user=email_address.user, kind="email", value=email_address.email)
    except CustomerError as exc:  # an address we cannot read as an identity: the login keeps its own profile
        log.warning("verified email of user %s not linked: %s", email_address.user_id, exc.code)
