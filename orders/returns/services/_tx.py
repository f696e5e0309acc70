"""One transaction per service call, and one for the desk's whole flow."""

import functools

from django.db import transaction

from orders.returns.models import ReturnRequest

_FACTS = "_facts_this_transaction"


def service(func):
    """`transaction.atomic` for every caller; `func.within(...)` runs the same body in the caller's
    transaction without a savepoint of its own (the desk's one-step flow chains several services
    in one atomic block, where a refusal rolls everything back anyway).

    A return handed back by the atomic form forgets the facts kept for the next step (`remember`):
    they hold only inside the transaction that read them."""

    @functools.wraps(func)
    def wrapped(*args, **kwargs):
        with transaction.atomic():
            result = func(*args, **kwargs)
        forget(result)
        return result

    wrapped.within = func
    return wrapped


def remember(request: ReturnRequest, **facts) -> None:
    """Keep what a step read under this transaction's locks (policy rules, the order's lines, the
    return's lines) on the instance, for the next step of a chain of `.within` calls (start ->
    receive -> refund at the desk): the same rows are not read again. The chain's outer
    transaction calls `forget` before it hands the return back."""
    request.__dict__.setdefault(_FACTS, {}).update(facts)


def remembered(request: ReturnRequest, key: str):
    return request.__dict__.get(_FACTS, {}).get(key)


def forget(request) -> None:
    if isinstance(request, ReturnRequest):
        request.__dict__.pop(_FACTS, None)
