"""The one domain error of the orders app; `code` says which rule was broken."""

from retail.errors import DomainError

_STATUS_BY_CODE = {
    "illegal_transition": 409,
    "order_not_cancellable": 409,
    "insufficient_stock": 409,
    "payment_declined": 402,
    "not_found": 404,
    "receipt_conflict": 409,
}


class OrderError(DomainError):
    """Codes: empty_cart, invalid_quantity, unknown_sku, inactive_sku, insufficient_stock, invalid_fulfillment,
    pickup_not_offered, no_route, invalid_payment, payment_declined, payment_mismatch, payment_state,
    illegal_transition, wrong_item, over_picked, code_not_found, verification_failed, order_not_cancellable,
    not_found, invalid_tender, invalid_line, receipt_conflict, invalid_customer."""

    code = "order_error"

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None, **kwargs):
        super().__init__(message, code=code, status=status or _STATUS_BY_CODE.get(code or ""), **kwargs)
