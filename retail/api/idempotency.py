"""`Idempotency-Key` for any DRF endpoint that changes data.

    class CheckoutView(APIView):
        @idempotent(required=True)
        def post(self, request): ...

The first request with a key runs and its answer (2xx or 4xx) is stored for 24 hours; a retry
with the same key and body gets that answer again (`Idempotent-Replayed: true`); the same key
with another body is a 422; a retry while the first is still running is a 409. A 5xx or a crash
frees the key so the client can try again.
"""

import hashlib
import json
from functools import wraps

from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.response import Response

from retail.errors import DomainError
from retail.models import IdempotencyKey, PosDevice
from retail.services import idempotency_ttl

HEADER = "Idempotency-Key"


class IdempotencyError(DomainError):
    pass


def request_scope(request) -> str:
    user = request.user
    if isinstance(user, PosDevice):
        return f"device:{user.pk}"
    if user and user.is_authenticated:
        return f"user:{user.pk}"
    return f"anon:{request.META.get('REMOTE_ADDR', '')}"


def request_fingerprint(request) -> str:
    body = json.dumps(request.data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def _claim(*, scope: str, key: str, request, fingerprint: str) -> IdempotencyKey | None:
    """Insert the running marker in its own committed transaction; None when we now own the key.

    Otherwise returns the stored row (done or still running) for the caller to answer from.
    """
    now = timezone.now()
    for _ in range(2):
        try:
            with transaction.atomic():
                IdempotencyKey.objects.create(
                    scope=scope,
                    key=key,
                    method=request.method,
                    path=request.path[:300],
                    request_hash=fingerprint,
                    created_at=now,
                    expires_at=now + idempotency_ttl(),
                )
            return None
        except IntegrityError:
            existing = IdempotencyKey.objects.filter(scope=scope, key=key).first()
            if existing is None:
                continue  # freed between our insert and our read: try once more
            if existing.expires_at <= now:
                IdempotencyKey.objects.filter(pk=existing.pk, expires_at__lte=now).delete()
                continue
            return existing
    raise IdempotencyError("The request is being retried too fast; try again.", code="idempotency_busy", status=409)


def idempotent(required: bool = False):
    def decorator(method):
        @wraps(method)
        def wrapper(view, request, *args, **kwargs):
            key = request.headers.get(HEADER, "").strip()
            if not key:
                if required:
                    raise IdempotencyError(
                        f"Send an {HEADER} header (a UUID you generate) so that a retry cannot act twice.",
                        code="idempotency_key_required",
                    )
                return method(view, request, *args, **kwargs)
            if len(key) > 255:
                raise IdempotencyError(f"{HEADER} must be at most 255 characters.", code="idempotency_key_invalid")

            scope, fingerprint = request_scope(request), request_fingerprint(request)
            existing = _claim(scope=scope, key=key, request=request, fingerprint=fingerprint)
            if existing is not None:
                if existing.request_hash != fingerprint:
                    raise IdempotencyError(
                        f"This {HEADER} was used for a different request. Use a new key for a new request.",
                        code="idempotency_key_reused",
                        status=422,
                    )
                if existing.status == IdempotencyKey.Status.RUNNING:
                    raise IdempotencyError(
                        "The first request with this key is still being processed; retry in a moment.",
                        code="idempotency_in_progress",
                        status=409,
                    )
                response = Response(existing.response_body, status=existing.response_status)
                response["Idempotent-Replayed"] = "true"
                return response

            try:
                try:
                    response = method(view, request, *args, **kwargs)
                except Exception as exc:  # noqa: BLE001 — DRF turns domain errors into a 4xx to store
                    response = view.handle_exception(exc)  # re-raises what is not an API error
            except BaseException:
                IdempotencyKey.objects.filter(scope=scope, key=key).delete()
                raise
            if response.status_code >= 500:
                IdempotencyKey.objects.filter(scope=scope, key=key).delete()
            else:
                IdempotencyKey.objects.filter(scope=scope, key=key).update(
                    status=IdempotencyKey.Status.DONE,
                    response_status=response.status_code,
                    response_body=json.loads(json.dumps(response.data, default=str)),
                )
            return response

        return wrapper

    return decorator
