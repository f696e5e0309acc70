"""`Idempotency-Key` for any DRF endpoint that changes data.

    class CheckoutView(APIView):
        @idempotent(required=True)
        def post(self, request): ...

The first request with a key runs and its answer (2xx or 4xx) is stored for 24 hours; a retry
with the same key and body gets that answer again (`Idempotent-Replayed: true`); the same key
with another body is a 422; a retry while the first is still running is a 409. A 5xx or a crash
stores nothing, so the client can try again.

How: the view runs inside one transaction that also writes the stored answer, so the effect and
the key commit together or not at all (a process killed between the two cannot leave an effect
without its key, nor a key stuck "running"). While it runs, the transaction holds a PostgreSQL
advisory lock on (scope, key): a concurrent retry fails to take it and answers 409 at once, and
a dead process releases it with its connection.
"""

import hashlib
import json
import re
from functools import wraps

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.response import Response

from retail.errors import DomainError, RetailCode
from retail.models import IdempotencyKey, PosDevice
from retail.proxies import client_ip
from retail.services import idempotency_ttl

HEADER = "Idempotency-Key"
KEY_PATTERN = r"\A[!-~]{1,255}\Z"  # visible ASCII; the schema publishes the same
REPLAYED_HEADER = "Idempotent-Replayed"


class IdempotencyError(DomainError):
    pass


class _ServerError(Exception):
    """Raised inside the transaction to roll back a view that answered 5xx."""

    def __init__(self, response):
        self.response = response


def request_scope(request) -> str:
    user = request.user
    if isinstance(user, PosDevice):
        return f"device:{user.pk}"
    if user and user.is_authenticated:
        return f"user:{user.pk}"

    return f"anon:{client_ip(request)}"


def request_fingerprint(request) -> str:
    body = json.dumps(request.data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def _try_lock(scope: str, key: str) -> bool:
    """Take the transaction-scoped advisory lock for (scope, key); False when another request has it."""
    digest = hashlib.sha256(f"idempotency\n{scope}\n{key}".encode()).digest()
    lock_id = int.from_bytes(digest[:8], "big", signed=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [lock_id])
        return bool(cursor.fetchone()[0])


def _replay(stored: IdempotencyKey, fingerprint: str) -> Response:
    if stored.request_hash != fingerprint:
        raise IdempotencyError(
            _("This %(header)s was used for a different request. Use a new key for a new request.")
            % {"header": HEADER},
            code=RetailCode.IDEMPOTENCY_MISMATCH,
        )
    response = Response(stored.response_body, status=stored.response_status)
    response[REPLAYED_HEADER] = "true"
    return response


def _store(*, scope: str, key: str, request, fingerprint: str, response) -> None:
    now = timezone.now()
    IdempotencyKey.objects.create(
        scope=scope,
        key=key,
        method=request.method,
        path=request.path[:300],
        request_hash=fingerprint,
        status=IdempotencyKey.Status.DONE,
        response_status=response.status_code,
        response_body=json.loads(json.dumps(response.data, default=str)),
        created_at=now,
        expires_at=now + idempotency_ttl(),
    )


def idempotent(required: bool = False):
    def decorator(method):
        @wraps(method)
        def wrapper(view, request, *args, **kwargs):
            key = request.headers.get(HEADER)
            if key is None:
                if required:
                    raise IdempotencyError(
                        _("Send an %(header)s header (a UUID you generate) so that a retry cannot act twice.")
                        % {"header": HEADER},
                        code=RetailCode.IDEMPOTENCY_KEY_REQUIRED,
                    )
                return method(view, request, *args, **kwargs)
            if not re.match(KEY_PATTERN, key):
                raise IdempotencyError(
                    _("%(header)s is 1 to 255 visible characters without spaces, e.g. a UUID.") % {"header": HEADER},
                    code=RetailCode.IDEMPOTENCY_KEY_INVALID,
                )

            scope, fingerprint = request_scope(request), request_fingerprint(request)
            try:
                with transaction.atomic():
                    if not _try_lock(scope, key):
                        raise IdempotencyError(
                            _("The first request with this key is still being processed; retry in a moment."),
                            code=RetailCode.IDEMPOTENCY_IN_PROGRESS,
                        )
                    stored = IdempotencyKey.objects.filter(scope=scope, key=key).first()
                    if stored is not None and stored.expires_at > timezone.now():
                        return _replay(stored, fingerprint)
                    if stored is not None:
                        stored.delete()  # expired: the key is free again
                    try:
                        with transaction.atomic():
                            response = method(view, request, *args, **kwargs)
                    except Exception as exc:  # noqa: BLE001 — DRF turns domain errors into a 4xx to store
                        response = view.handle_exception(exc)  # re-raises what is not an API error
                    if response.status_code >= 500:
                        raise _ServerError(response)
                    _store(scope=scope, key=key, request=request, fingerprint=fingerprint, response=response)
                    return response
            except _ServerError as server_error:
                return server_error.response  # rolled back, nothing stored: a retry runs again

        wrapper.idempotency = {"required": required}  # read by retail.api.schema to document the header
        return wrapper

    return decorator
