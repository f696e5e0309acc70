"""The one domain error of the returns app and its codes (code -> HTTP status -> meaning)."""

from retail.errors import DomainError, ErrorCode


class ReturnCode(ErrorCode):
    UNKNOWN_ORDER = "unknown_order", 404, "No purchase matches that order or receipt number."
    NOT_RETURNABLE = "not_returnable", 400, "Nothing on that order can be returned (cancelled, or all returned)."
    TOO_MANY_UNITS = "too_many_units", 400, "More units than were bought (minus those returned) are returned."
    INVALID_RETURN = "invalid_return", 400, "The return request is incomplete or wrong; `fields` says why."
    INVALID_METHOD = "invalid_method", 400, "A return is made in_store or by mail."
    INVALID_CONDITION = "invalid_condition", 400, "The condition is not one of the policy's conditions."
    INVALID_DISPOSITION = "invalid_disposition", 400, "The goods go to restock, damaged or inspection."
    INVALID_REFUND_METHOD = "invalid_refund_method", 400, "Refund to original, store_credit or exchange."
    INVALID_EXCHANGE = "invalid_exchange", 400, "The exchange's items are missing or wrong."
    RECEIPTLESS_NEEDS_CUSTOMER = (
        "receiptless_needs_customer",
        400,
        "A return without a receipt needs the shopper's profile or loyalty card.",
    )
    REFUND_EXCEEDS_PAID = "refund_exceeds_paid", 409, "The refund is more than the original payment can take back."
    ALREADY_REFUNDED = "already_refunded", 409, "The return was already refunded."
    APPROVAL_REQUIRED = "approval_required", 409, "A manager of this store must approve; send their approval."
    DUPLICATE_SUBMISSION = "duplicate_submission", 409, "This return was already submitted."
    RMA_EXHAUSTED = "rma_exhausted", 503, "No free RMA number was found; try again."


class ReturnError(DomainError):
    """Anything the returns app refuses, raised with a member of ReturnCode (or a lower layer's)."""
