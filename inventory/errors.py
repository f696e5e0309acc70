"""The one domain error of the inventory app; `code` says which rule was broken."""

from retail.errors import DomainError

_STATUS_BY_CODE = {
    "insufficient_stock": 409,
    "reservation_closed": 409,
    "transfer_state": 409,
    "count_closed": 409,
}


class InventoryError(DomainError):
    """Codes: insufficient_stock, unknown_sku, inactive_sku, unknown_location, invalid_quantity,
    invalid_kind, invalid_reference, invalid_reason, unknown_reservation, reservation_closed,
    invalid_transfer, transfer_state, count_closed, returns_not_accepted."""

    code = "inventory_error"

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None, **kwargs):
        super().__init__(message, code=code, status=status or _STATUS_BY_CODE.get(code or ""), **kwargs)
