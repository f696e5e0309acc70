"""The one domain error of the customers app and its codes (code -> HTTP status -> meaning)."""

from retail.errors import DomainError, ErrorCode


class CustomerCode(ErrorCode):
    PROFILE_CLOSED = "profile_closed", 410, "Your profile was closed (erased at your request)."
    CUSTOMER_ERASED = "customer_erased", 409, "This customer was erased; nothing can be added to the profile."
    CUSTOMER_NOT_LIVE = "customer_not_live", 409, "This profile was erased or merged; open the surviving one."
    DUPLICATE_IDENTITY = "duplicate_identity", 400, "Another customer already has this email, phone or card."
    IDENTITY_CONFLICT = "identity_conflict", 409, "This email or phone belongs to another account."
    IDENTITY_REQUIRED = "identity_required", 400, "Send at least one identity (email, phone, card, device)."
    INVALID_IDENTITY = "invalid_identity", 400, "An identity could not be read."
    INVALID_CODE = "invalid_code", 400, "That phone code is wrong or has expired; ask for a new one."
    TOO_MANY_CODES = "too_many_codes", 429, "Too many phone codes asked for; try again in an hour."
    INVALID_PHONE = (
        "invalid_phone",
        400,
        "No phone number has that many digits there (checked against the numbering plan).",
    )
    INVALID_EMAIL = "invalid_email", 400, "That email address cannot be delivered to (its domain or form is refused)."
    OCCURRED_AT_OUT_OF_RANGE = (
        "occurred_at_out_of_range",
        400,
        "An event's time is in the future or before the oldest month the timeline keeps (13 months before this one).",
    )
    INSUFFICIENT_POINTS = "insufficient_points", 409, "The points balance is lower than asked for."
    INSUFFICIENT_STORE_CREDIT = "insufficient_store_credit", 409, "The store credit balance is lower than asked for."
    STORE_CREDIT_WRONG_CURRENCY = (
        "store_credit_wrong_currency",
        409,
        "The shopper's store credit is in another currency than the sale or refund.",
    )
    ALREADY_REDEEMED = "already_redeemed", 409, "Points were already redeemed for this reference."
    ALREADY_SPENT = "already_spent", 409, "Store credit was already spent for this reference."
    GIFT_CARD_NOT_FOUND = (
        "gift_card_not_found",
        404,
        "No active gift card has that number (one answer for unknown, mistyped and expired numbers).",
    )
    TOO_MANY_GIFT_CARD_ATTEMPTS = (
        "too_many_gift_card_attempts",
        429,
        "Too many wrong gift card numbers from this caller; wait a few minutes.",
    )
    INSUFFICIENT_GIFT_CARD_BALANCE = (
        "insufficient_gift_card_balance",
        409,
        "The gift card holds less than asked for; `balance` says how much is left.",
    )
    GIFT_CARD_AMOUNT = (
        "gift_card_amount",
        400,
        "A gift card amount (loaded, paid or refunded) is above 0.00; one card holds at most the limit `fields` names.",
    )
    GIFT_CARD_ALREADY_REDEEMED = "gift_card_already_redeemed", 409, "The gift card already paid for this reference."
    GIFT_CARD_ALREADY_ISSUED = "gift_card_already_issued", 409, "A gift card was already issued for this reference."
    GIFT_CARD_WRONG_CURRENCY = "gift_card_wrong_currency", 409, "The gift card is in another currency."
    GIFT_CARD_REFUND_TOO_LARGE = (
        "gift_card_refund_too_large",
        409,
        "More than was paid with the gift card (and not yet refunded) cannot go back to it.",
    )
    PAY_CODE_INVALID = (
        "pay_code_invalid",
        409,
        "The wallet code is unknown, used or expired (one answer); the shopper opens the wallet again.",
    )
    OFFER_NOT_ASSIGNED = "offer_not_assigned", 404, "This shopper has no such offer."
    OFFER_EXPIRED = "offer_expired", 409, "The offer is no longer running."
    OFFER_NOT_ELIGIBLE = "offer_not_eligible", 409, "The shopper or the basket does not meet the offer's rules."
    OFFER_ALREADY_REDEEMED = "offer_already_redeemed", 409, "The offer was already used."
    OFFER_WRONG_CHANNEL = "offer_wrong_channel", 409, "The offer cannot be used on this channel."
    OFFER_WRONG_CURRENCY = (
        "offer_wrong_currency",
        409,
        "The offer takes an amount off in another currency than the order's; `currency` names the offer's.",
    )
    NO_CONSENT = "no_consent", 409, "The shopper has not agreed to messages on that channel."
    CONTACT_CAP_REACHED = "contact_cap_reached", 409, "The shopper was contacted as often as allowed lately."
    TASK_CLOSED = "task_closed", 409, "The task is already closed."
    ALREADY_MERGED = "already_merged", 409, "One of these profiles was already merged away."
    MERGE_SAME_CUSTOMER = "merge_same_customer", 400, "A profile cannot be merged into itself."
    MERGE_TWO_ACCOUNTS = "merge_two_accounts", 409, "Both profiles have an app/web account; the shopper keeps one."
    MERGE_ALREADY_UNDONE = "merge_already_undone", 409, "This merge was already undone."
    MERGE_UNDO_BLOCKED = "merge_undo_blocked", 409, "The merge cannot be undone as it is; see the message."


class CustomerError(DomainError):
    """Anything the customers app refuses, raised with a member of CustomerCode (or a lower layer's)."""
