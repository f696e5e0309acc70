"""The one domain error of the returns app; `code` says which rule was broken."""

from retail.errors import DomainError

_STATUS_BY_CODE = {
    "not_found": 404,
    "illegal_transition": 409,
    "already_refunded": 409,
    "approval_required": 409,
    "approval_denied": 403,
    "returns_not_accepted": 409,
    "wrong_store": 403,
    "insufficient_stock": 409,
    "payment_declined": 402,
    "receipt_conflict": 409,
}


class ReturnError(DomainError):
    """Codes: invalid_line, too_many_units, not_returnable, unknown_order, not_found, invalid_method,
    invalid_reason, invalid_condition, invalid_disposition, illegal_transition, already_refunded,
    approval_required, approval_denied, returns_not_accepted, wrong_store, refund_exceeds_paid,
    invalid_refund_method, receiptless_needs_customer, invalid_exchange, insufficient_stock,
    payment_declined, invalid_return, receipt_conflict."""

    code = "return_error"

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None, **kwargs):
        super().__init__(message, code=code, status=status or _STATUS_BY_CODE.get(code or ""), **kwargs)
