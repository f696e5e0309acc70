"""The shopper a portal request is about, read once per request.

The clienteling shell renders several panels (its own and other apps') in one request; each asks
for the profile through `customer_for_request`, so the row is read once however many panels show
it. Fragments fetched on their own (a panel refreshed after a note is added, a timeline filter)
go through the same door, the one lookup every clienteling view uses.
"""

from django.http import Http404
from django.utils.translation import gettext as _

from customers.models import Customer
from customers.selectors import get_customer_for_staff
from retail.errors import NotFound
from retail.proxies import client_ip

_MEMO = "_clienteling_customers"


def customer_for_request(request, customer_id: int, *, header: bool = False) -> Customer:
    """The profile (404 if none) for a view behind `portal_view`; with `header`, with what the
    clienteling header shows. Read on the first call of a request, reused by the later ones."""
    memo: dict[int, Customer] = request.__dict__.setdefault(_MEMO, {})
    customer = memo.get(customer_id)
    if customer is None or (header and not hasattr(customer, "header_tags")):
        try:
            # the lookup writes the customer.viewed audit (once per associate, shopper and 10 minutes)
            customer = get_customer_for_staff(
                request.user, customer_id, header=header, store=request.store, ip=client_ip(request)
            )
        except NotFound:
            raise Http404(_("No such customer.")) from None
        memo[customer_id] = customer
    return customer
