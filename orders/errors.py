"""The one domain error of the orders app and its codes (code -> HTTP status -> meaning)."""

from retail.errors import DomainError, ErrorCode


class OrderCode(ErrorCode):
    EMPTY_CART = "empty_cart", 400, "The cart has no lines to check out."
    CART_CLOSED = "cart_closed", 409, "The cart was checked out or merged meanwhile."
    INVALID_CHANNEL = "invalid_channel", 400, "The channel is not one this operation takes."
    INVALID_CUSTOMER = "invalid_customer", 400, "Say who the order is for (an email or phone number)."
    INVALID_FULFILLMENT = "invalid_fulfillment", 400, "The fulfilment (pickup, curbside, ship) is incomplete or wrong."
    PICKUP_NOT_OFFERED = "pickup_not_offered", 400, "That store does not offer pick-up."
    NO_ROUTE = "no_route", 400, "No location can fill the order (or the re-route) as asked."
    INVALID_POINTS = "invalid_points", 400, "Points to redeem are a whole number within the balance."
    POINTS_UNAVAILABLE = (
        "points_unavailable",
        409,
        "Points are worth an amount of the home currency, and the order's currency has no exchange rate today.",
    )
    INVALID_PAYMENT = "invalid_payment", 400, "A payment is missing, of an unknown method or of a wrong amount."
    TOP_UP_AMOUNT = "top_up_amount", 400, "A wallet top-up is above 0.00 and at most the limit `fields` names."
    PAYMENT_DECLINED = "payment_declined", 402, "The card was refused by the provider."
    PAYMENT_MISMATCH = "payment_mismatch", 400, "The payments do not add up to the total."
    CURRENCY_MISMATCH = (
        "currency_mismatch",
        409,
        "Amounts in two currencies would mix (a cart, an order's stores or fulfilments in markets of different "
        "currencies); `currencies` names them.",
    )
    PAYMENT_STATE = "payment_state", 409, "The payments are not in a state that allows this."
    NOT_PAID = (
        "not_paid",
        409,
        "An order placed by an associate is not paid yet (at the till or by its pay-by-link): "
        "it is not handed over or shipped until it is.",
    )
    INVALID_REFUND = "invalid_refund", 400, "More is refunded than the payment can give back."
    CART_LINK_INVALID = "cart_link_invalid", 404, "No saved cart matches this link (mistyped or cut short)."
    CART_LINK_EXPIRED = (
        "cart_link_expired",
        410,
        "The link to the saved cart expired or a newer one was sent: open the newest, or ask the store again.",
    )
    CART_LINK_USED = "cart_link_used", 409, "The saved cart behind this link was already opened in a cart."
    CART_LINK_NOT_YOURS = (
        "cart_link_not_yours",
        403,
        "The saved cart was sent to another shopper: sign in as the shopper it was sent to.",
    )
    INVALID_LINE = "invalid_line", 400, "A line of the request is wrong; `fields` says which."
    INVALID_SALE = (
        "invalid_sale",
        400,
        "The till's sale was not recorded; `fields` says what to fix per line and tender.",
    )
    INVALID_TAB = "invalid_tab", 400, "The pick-up queue has no such tab."
    INVALID_RESOLUTION = "invalid_resolution", 400, "A short pick is resolved by cancel or reroute."
    ORDER_NOT_CANCELLABLE = "order_not_cancellable", 409, "The order is already ready, collected or shipped."
    NOT_READY = "not_ready", 409, "The order has no pick-up ready to collect."
    NOT_FULLY_PICKED = "not_fully_picked", 409, "Units are still to pick; scan them or record a short pick."
    OVER_PICKED = "over_picked", 400, "Every unit of that item is already picked."
    WRONG_ITEM = "wrong_item", 400, "That item is not on this order."
    CODE_NOT_FOUND = "code_not_found", 404, "No pick-up here matches that code."
    VERIFICATION_FAILED = "verification_failed", 400, "The pick-up code, QR or ID check did not match."
    TOO_MANY_ATTEMPTS = (
        "too_many_attempts",
        429,
        "Too many wrong pick-up codes here lately; verify another way or wait.",
    )
    TAX_UNAVAILABLE = (
        "tax_unavailable",
        409,
        "The market cannot tax an item yet (no rate for its tax class today); head office sets it up.",
    )
    TAX_SERVICE_UNAVAILABLE = (
        "tax_service_unavailable",
        503,
        "The tax service did not answer; nothing was kept. Send the same request again in a moment.",
    )
    SHIPPING_METHOD_UNKNOWN = (
        "shipping_method_unknown",
        400,
        "No active shipping method has this id; list the methods for the cart and the address's country.",
    )
    SHIPPING_METHOD_UNAVAILABLE = (
        "shipping_method_unavailable",
        400,
        "The shipping method does not ship this order (another country, too heavy, no weight, no ship lines); "
        "`reason` says which.",
    )
    SHIPPING_METHOD_REQUIRED = "shipping_method_required", 400, "Choose a shipping method for the ship-to-home lines."
    INVALID_COUNTRY = "invalid_country", 400, "A country is its ISO 3166-1 code in capitals, e.g. IT."
    COUNTRY_NOT_SERVED = (
        "country_not_served",
        400,
        "No market of ours covers that country: we do not ship there; `country` names it.",
    )
    ORDER_NUMBER_CLASH = "order_number_clash", 503, "Nothing was kept; send the same request again."
    PICKUP_CODE_EXHAUSTED = "pickup_code_exhausted", 503, "No free pick-up code was found; try again."


class OrderError(DomainError):
    """Anything the orders app refuses, raised with a member of OrderCode (or a lower layer's)."""
