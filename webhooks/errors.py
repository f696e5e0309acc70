"""The one domain error of the webhooks app and its codes (code -> HTTP status -> meaning)."""

from retail.errors import DomainError, ErrorCode


class WebhookCode(ErrorCode):
    UNSAFE_URL = "unsafe_url", 400, "The URL must be https and reach a public address (no loopback or private network)."
    UNKNOWN_EVENT_TYPE = "unknown_event_type", 400, "An event type is not one Omnistore sends; see the webhooks docs."
    NO_EVENT_TYPES = "no_event_types", 400, "A subscription needs at least one event type."
    INVALID_FEED_CURSOR = (
        "invalid_feed_cursor",
        400,
        "The feed cursor is not one the feed gave out; start without `after`.",
    )
    SUBSCRIPTION_EXISTS = "subscription_exists", 409, "Another subscription already sends to that URL."


class WebhookError(DomainError):
    """Raised with a member of WebhookCode (or RetailCode)."""
