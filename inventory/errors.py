"""The one domain error of the inventory app and its codes (code -> HTTP status -> meaning)."""

from retail.errors import DomainError, ErrorCode


class InventoryCode(ErrorCode):
    INSUFFICIENT_STOCK = "insufficient_stock", 409, "Fewer units are available than asked for; `lines` says which."
    UNKNOWN_SKU = "unknown_sku", 400, "No variant has that SKU (or barcode)."
    INACTIVE_SKU = "inactive_sku", 400, "That SKU is no longer sold."
    UNKNOWN_LOCATION = "unknown_location", 400, "No open store or warehouse has that code."
    UNKNOWN_CATEGORY = "unknown_category", 400, "No category has that slug."
    INVALID_QUANTITY = "invalid_quantity", 400, "A quantity is not a whole number in the allowed range."
    INVALID_REFERENCE = "invalid_reference", 400, "A stock movement or reservation needs a reference."
    INVALID_REASON = "invalid_reason", 400, "Say why the stock is adjusted."
    INVALID_PERCENT = "invalid_percent", 400, "A price change is between -90% and +500%, not 0."
    INVALID_PRICE_ENDING = "invalid_price_ending", 400, "Price endings are .99, .95, whole, or none."
    TOO_MANY_PRODUCTS = "too_many_products", 400, "One price change takes at most 5,000 products."
    PRICES_MOVED = "prices_moved", 409, "A price changed since the preview; preview again."
    INVALID_SCHEDULE = "invalid_schedule", 400, "A scheduled price change needs a name, a reason and a future period."
    SCHEDULE_OVERLAPS = "schedule_overlaps", 409, "A product is already in a scheduled price change for that time."
    SCHEDULE_OVER = "schedule_over", 409, "That scheduled price change has ended or was cancelled."
    NOT_SOLD_IN_MARKET = (
        "not_sold_in_market",
        409,
        "The variant has no price in that market's currency (its list has none, and the default list is in another).",
    )
    DEFAULT_LIST_PRICES = (
        "default_list_prices",
        409,
        "The default list's prices are the catalog's own: change them on the product or with a bulk change.",
    )
    PRICE_PERIODS_OVERLAP = (
        "price_periods_overlap",
        409,
        "Two prices of one variant on one list would apply at the same moment; give each its own period.",
    )
    UNKNOWN_RESERVATION = "unknown_reservation", 400, "No reservation has that id."
    RESERVATION_CLOSED = "reservation_closed", 409, "The reservation was already consumed, released or expired."
    INVALID_TRANSFER = "invalid_transfer", 400, "No such transfer, or its locations or lines are wrong."
    TRANSFER_STATE = "transfer_state", 409, "The transfer is not in the state this step needs."
    COUNT_CLOSED = "count_closed", 409, "No such stock count open (or awaiting a manager, for an approval)."
    COUNT_CHANGED = "count_changed", 409, "The count or the stock changed since the review; review it again."
    RETURNS_NOT_ACCEPTED = "returns_not_accepted", 409, "That location does not take returns."


class InventoryError(DomainError):
    """Raised with a member of InventoryCode (or RetailCode)."""
