"""One transaction per service call, and one for the desk's whole flow."""

from django.db import transaction


def service(func):
    """`transaction.atomic` for every caller; `func.within(...)` runs the same body in the caller's
    transaction without a savepoint of its own (the desk's one-step flow chains several services
    in one atomic block, where a refusal rolls everything back anyway)."""
    wrapped = transaction.atomic(func)
    wrapped.within = func
    return wrapped
