"""The value the returns desk's steps hand each other, in one transaction: no state kept on the return.

The desk (and the till) chain the steps open_return -> receive -> refund inside one transaction;
each public service (start_return, receive_return, refund_return) is one step, or a lock and one
step, in a transaction of its own. A step takes a ReturnContext and returns one with what it read
under the locks, so the next step does not read those rows again.
"""

import functools
from dataclasses import dataclass, replace

from django.db import transaction
from django.utils.translation import gettext as _

from orders.models import OrderLine
from orders.returns.errors import ReturnError
from orders.returns.models import ReturnLine, ReturnRequest
from orders.returns.policy import Rules
from retail.errors import RetailCode


@dataclass(frozen=True)
class ReturnContext:
    """A return this transaction holds (its row locked, or inserted by it) and the facts read so far
    under the locks: the policy's rules, the order's lines, the return's lines as the last step left
    them (their condition and disposition may not be written yet: the step that judges writes them).
    None means "not read yet"."""

    return_request: ReturnRequest
    rules: Rules | None = None
    order_lines: tuple[OrderLine, ...] | None = None
    lines: tuple[ReturnLine, ...] | None = None

    def knowing(self, **facts) -> "ReturnContext":
        return replace(self, **facts)


def lock_request(return_request: ReturnRequest | int) -> ReturnRequest:
    """The return's row, locked for this transaction (with its order, shopper and stores)."""
    pk = return_request.pk if isinstance(return_request, ReturnRequest) else return_request
    found = (
        ReturnRequest.objects.select_for_update(of=("self",))
        .select_related("order", "customer", "store", "started_store")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise ReturnError(_("There is no such return."), code=RetailCode.NOT_FOUND)
    return found


def hold(return_request: ReturnRequest | int) -> ReturnContext:
    """Lock the return's row and start the steps' context from it (nothing read yet)."""
    return ReturnContext(lock_request(return_request))


def service(step):
    """A step that opens a return, as a service: its own transaction, the return handed back."""

    @functools.wraps(step)
    def run(**kwargs) -> ReturnRequest:
        with transaction.atomic():
            return step(**kwargs).return_request

    return run
