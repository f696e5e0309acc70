"""One shape for every API error: {"code": ..., "message": ..., "fields": {...}}."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from retail.errors import DomainError, ErrorCode, RetailCode

# In the caller's language (Accept-Language; DRF's own field messages come translated by DRF).
_MESSAGES = {
    RetailCode.NOT_AUTHENTICATED: gettext_lazy("Sign in to do this."),
    RetailCode.AUTHENTICATION_FAILED: gettext_lazy("Your credentials were not accepted."),
    RetailCode.PERMISSION_DENIED: gettext_lazy("You are not allowed to do this."),
    RetailCode.NOT_FOUND: gettext_lazy("There is nothing here."),
    RetailCode.METHOD_NOT_ALLOWED: gettext_lazy("This address does not take that method."),
    RetailCode.NOT_ACCEPTABLE: gettext_lazy("This address answers application/json only."),
    RetailCode.UNSUPPORTED_MEDIA_TYPE: gettext_lazy("Send the body as application/json."),
    RetailCode.PARSE_ERROR: gettext_lazy("The body is not valid JSON."),
}
# DRF's own exceptions, by class, as our codes (a subclass answers as its nearest listed base).
_DRF_CODES = {
    exceptions.ParseError: RetailCode.PARSE_ERROR,
    exceptions.AuthenticationFailed: RetailCode.AUTHENTICATION_FAILED,
    exceptions.NotAuthenticated: RetailCode.NOT_AUTHENTICATED,
    exceptions.PermissionDenied: RetailCode.PERMISSION_DENIED,
    exceptions.NotFound: RetailCode.NOT_FOUND,
    exceptions.MethodNotAllowed: RetailCode.METHOD_NOT_ALLOWED,
    exceptions.NotAcceptable: RetailCode.NOT_ACCEPTABLE,
    exceptions.UnsupportedMediaType: RetailCode.UNSUPPORTED_MEDIA_TYPE,
    exceptions.Throttled: RetailCode.THROTTLED,
}


def error_body(code: ErrorCode, message: str, fields: dict | None = None, **extra) -> dict:
    if not isinstance(code, ErrorCode):
        raise TypeError(f"error codes are ErrorCode members, not {code!r}")
    return {"code": code, "message": message, "fields": fields or {}, **extra}


def _drf_code(exc: exceptions.APIException) -> ErrorCode:
    for cls in type(exc).__mro__:
        if cls in _DRF_CODES:
            return _DRF_CODES[cls]
    return RetailCode.INVALID if exc.status_code == 400 else RetailCode.SERVER_ERROR


def _flatten(detail) -> dict:
    """DRF's nested error detail as {"field": ["message", ...]} with dotted paths for nesting."""
    out: dict[str, list[str]] = {}

    def walk(prefix, value):
        if isinstance(value, dict):
            for key, sub in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), sub)
        elif isinstance(value, list) and value and not all(isinstance(v, str) for v in value):
            for index, sub in enumerate(value):
                if sub:
                    walk(f"{prefix}.{index}" if prefix else str(index), sub)
        else:
            out.setdefault(prefix or "non_field_errors", []).extend(
                [str(v) for v in value] if isinstance(value, list) else [str(value)]
            )

    walk("", detail)
    return out


def validation_error_body(detail) -> dict:
    """A serializer's errors in the API's error shape: also one item's error in a batch.

    `unknown_field` when the input has fields the operation does not take (they are named first),
    else `invalid`.
    """
    fields = _flatten(detail)
    unknown = sorted(_unknown_paths(detail))
    if unknown:
        message = ngettext(
            "Unknown field: %(fields)s. This operation does not take it.",
            "Unknown fields: %(fields)s. This operation does not take them.",
            len(unknown),
        ) % {"fields": ", ".join(unknown)}
        return error_body(RetailCode.UNKNOWN_FIELD, message, fields)
    first = next(iter(fields.items()), ("", [_("Invalid input.")]))
    message = first[1][0] if first[0] == "non_field_errors" else f"{first[0]}: {first[1][0]}"
    return error_body(RetailCode.INVALID, message, fields)


def _unknown_paths(detail, prefix: str = "") -> list[str]:
    from retail.api.serializers import UNKNOWN_FIELD  # serializers import this module (their error bodies)

    if isinstance(detail, dict):
        return [
            p for key, sub in detail.items() for p in _unknown_paths(sub, f"{prefix}.{key}" if prefix else str(key))
        ]
    if isinstance(detail, list):
        if any(getattr(item, "code", None) == UNKNOWN_FIELD for item in detail):
            return [prefix]
        return [
            p
            for index, sub in enumerate(detail)
            for p in _unknown_paths(sub, f"{prefix}.{index}" if prefix else str(index))
        ]
    return []


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        return Response(error_body(exc.code, exc.message, exc.fields, **exc.extra), status=exc.status)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a real bug: let Django log it and answer 500
    if isinstance(exc, exceptions.ValidationError):
        response.data = validation_error_body(exc.detail)
        response.status_code = status.HTTP_400_BAD_REQUEST
    elif isinstance(exc, exceptions.Throttled):
        response.data = error_body(
            RetailCode.THROTTLED,
            _("Too many requests. Try again in %(seconds)s seconds.") % {"seconds": f"{exc.wait or 1:.0f}"},
            retry_after=exc.wait,
        )
    elif isinstance(exc, exceptions.APIException):
        code = _drf_code(exc)
        # Our own wording for DRF's stock messages; a specific message (e.g. from an authenticator) is kept.
        generic = not isinstance(exc.detail, str) or str(exc.detail) == str(exc.default_detail)
        message = str(_MESSAGES.get(code, exc.detail)) if generic else str(exc.detail)
        response.data = error_body(code, message)
        if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
            _answer_401(response, context.get("request"))
    return response


def _answer_401(response, request) -> None:
    """Missing or bad credentials are a 401 with a challenge, not a 403.

    DRF asks only the first authentication class for a challenge, and allauth's session-token
    class has none; any class that offers one (our `Device` scheme) will do.
    """
    for authenticator in getattr(request, "authenticators", None) or ():
        challenge = authenticator.authenticate_header(request)
        if challenge:
            response.status_code = status.HTTP_401_UNAUTHORIZED
            response["WWW-Authenticate"] = challenge
            return


def bad_request(request, exception=None):
    """handler400 (a SuspiciousOperation): JSON in the API's error shape under /api/, HTML elsewhere."""
    if request.path.startswith("/api/"):
        if isinstance(exception, RequestDataTooBig):
            from retail.api.middleware import too_large_response  # the middleware imports this module

            return too_large_response()
        return JsonResponse(error_body(RetailCode.INVALID, _("The request could not be read.")), status=400)
    return defaults.bad_request(request, exception)


def page_not_found(request, exception=None):
    """handler404: JSON in the API's error shape under /api/, the site's HTML page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse(error_body(RetailCode.NOT_FOUND, _("There is nothing at this address.")), status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    """handler500: JSON under /api/ so clients can parse every answer; HTML elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse(
            error_body(RetailCode.SERVER_ERROR, _("Something went wrong on our side; try again.")), status=500
        )
    return defaults.server_error(request)
