"""Domain errors: one exception type per app, each carrying a stable machine code from an enum.

Every code is a member of an `ErrorCode` enum owned by one app (`RetailCode` here for what every
app shares, `InventoryCode`, `CustomerCode`, `OrderCode`, `ReturnCode` in the apps' errors.py):
code -> HTTP status -> one-line meaning, in one place. Services raise
`OrderError("what went wrong and what to do", code=OrderCode.EMPTY_CART)`; the API exception
handler and the portal turn it into a 4xx with `{"code", "message", "fields"}` or a message on
the page. A code string is never written free: tests/retail/test_error_codes.py walks the code.
An app may raise a member of a lower layer's enum (orders raise `InventoryCode.UNKNOWN_SKU`): each
wire code has exactly one owner.
"""

from enum import StrEnum

from django.apps import apps
from django.utils.module_loading import autodiscover_modules


class ErrorCode(StrEnum):
    """A stable machine code with its HTTP status and a one-line meaning (for the API docs).

    Members compare equal to their wire string, so `exc.code == "insufficient_stock"` still reads.
    """

    def __new__(cls, code: str, status: int, meaning: str):
        member = str.__new__(cls, code)
        member._value_ = code
        member.status = status
        member.meaning = meaning
        return member


class RetailCode(ErrorCode):
    """What every app shares: bad input, who may call, the idempotency and throttling answers."""

    INVALID = "invalid", 400, "A field is missing or wrong; `fields` says which and why."
    UNKNOWN_FIELD = "unknown_field", 400, "The body has fields this operation does not take; `fields` names them."
    PARSE_ERROR = "parse_error", 400, "The body is not valid JSON (or is nested too deeply)."
    NOT_AUTHENTICATED = "not_authenticated", 401, "Sign in (or send the device token) to do this."
    AUTHENTICATION_FAILED = "authentication_failed", 401, "The credentials sent are unknown, revoked or expired."
    PERMISSION_DENIED = "permission_denied", 403, "Signed in, but not allowed to do this."
    WRONG_ENDPOINT = "wrong_endpoint", 403, "This caller posts elsewhere (a till posts sales, not events)."
    NOT_STORE_MEMBER = "not_store_member", 403, "You do not work at that store; switch store first."
    NOT_FOUND = "not_found", 404, "No such object, or not yours."
    METHOD_NOT_ALLOWED = "method_not_allowed", 405, "This address does not take that method."
    NOT_ACCEPTABLE = "not_acceptable", 406, "Ask for application/json."
    ILLEGAL_TRANSITION = "illegal_transition", 409, "The object is not in a state that allows this any more."
    WRONG_STORE = "wrong_store", 409, "This belongs to another store; finish it there."
    IDEMPOTENCY_IN_PROGRESS = (
        "idempotency_in_progress",
        409,
        "The first request with this Idempotency-Key is still running; retry in a moment.",
    )
    REQUEST_TOO_LARGE = "request_too_large", 413, "The body is larger than the API accepts."
    BATCH_TOO_LARGE = "batch_too_large", 400, "The batch has more items than allowed; send the rest in another."
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type", 415, "Send the body as application/json."
    IDEMPOTENCY_MISMATCH = (
        "idempotency_mismatch",
        422,
        "This Idempotency-Key was used for a different request; use a new key for a new request.",
    )
    INVALID_CURSOR = "invalid_cursor", 400, "That page does not exist; start from the first page."
    IDEMPOTENCY_KEY_REQUIRED = "idempotency_key_required", 400, "Send an Idempotency-Key header (a UUID you generate)."
    IDEMPOTENCY_KEY_INVALID = (
        "idempotency_key_invalid",
        400,
        "The Idempotency-Key is not 1 to 255 visible characters without spaces.",
    )
    THROTTLED = "throttled", 429, "Too many requests; `retry_after` says how many seconds to wait."
    APPROVAL_DENIED = "approval_denied", 403, "The manager's approval was not accepted (one answer for every reason)."
    APPROVAL_LOCKED = (
        "approval_locked",
        429,
        "Too many refused approvals or sign-ins for this manager; wait.",
    )
    MFA_REQUIRED = "mfa_required", 400, "Set up two-factor sign-in (an authenticator app) first."
    SERVER_ERROR = "server_error", 500, "Something went wrong on our side; try again."
    UNKNOWN_STORE = "unknown_store", 400, "No open store has that code."
    INVALID_KIND = "invalid_kind", 400, "The kind given is not one this operation takes."
    INVALID_COORDINATES = "invalid_coordinates", 400, "`near` is latitude,longitude within range, e.g. 51.5072,-0.1276."
    DEVICE_EXISTS = "device_exists", 400, "The store already has a device with that name."
    EXCHANGE_RATE_MISSING = (
        "exchange_rate_missing",
        409,
        "No exchange rate into the reporting currency on that day; head office adds one in the admin.",
    )
    UNKNOWN_OUTBOX_TOPIC = "unknown_outbox_topic", 400, "No outbox handler is registered for that topic."


class DomainError(Exception):
    """A refusal with a code; the HTTP status is the code's (`code.status`)."""

    default_code: ErrorCode = RetailCode.INVALID

    def __init__(
        self,
        message: str,
        *,
        code: ErrorCode | None = None,
        fields: dict | None = None,
        extra: dict | None = None,
    ):
        super().__init__(message)
        code = self.default_code if code is None else code
        if not isinstance(code, ErrorCode):
            raise TypeError(f"{type(self).__name__} code must be an ErrorCode member, not {code!r}")
        self.message = message
        self.code = code
        self.fields = fields or {}
        self.extra = extra or {}

    @property
    def status(self) -> int:
        return self.code.status

    def __str__(self):
        return f"{self.code}: {self.message}"


class RetailError(DomainError):
    pass


class NotFound(DomainError):
    default_code = RetailCode.NOT_FOUND


class PermissionDenied(DomainError):
    default_code = RetailCode.PERMISSION_DENIED


def error_codes() -> list[type[ErrorCode]]:
    """Every installed app's code enum, the kernel's first (each app's `errors` module is imported)."""

    autodiscover_modules("errors")
    found, stack = [], [ErrorCode]
    while stack:
        cls = stack.pop(0)
        if cls is not ErrorCode and len(cls) and apps.get_containing_app_config(cls.__module__) is not None:
            found.append(cls)
        stack.extend(cls.__subclasses__())
    return found
