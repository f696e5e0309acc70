"""OpenAPI: our auth schemes, and the error answers every operation can give, documented once.

The exception handler answers every error in one shape, so the schema says so in one place:
each operation documents the 4xx codes it can produce (a view's own declaration wins), and an
`@idempotent` view documents its `Idempotency-Key` header and the 409/422 answers of a retry.
"""

from allauth.headless.contrib.rest_framework.authentication import XSessionTokenAuthentication
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import permissions


class XSessionTokenScheme(OpenApiAuthenticationExtension):
    target_class = XSessionTokenAuthentication
    name = "sessionToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "X-Session-Token",
            "description": "Session token from allauth headless sign-in (/_allauth/app/v1/auth/login).",
        }


ERROR_DESCRIPTIONS = {
    "400": "Bad input: `invalid` with the problem per field in `fields`, or a domain error code.",
    "401": "Missing, unknown or expired credentials (`not_authenticated`, `authentication_failed`).",
    "403": "Signed in, but not allowed to do this (`permission_denied`).",
    "404": "No such object, or not yours (`not_found`).",
    "409": "The first request with this Idempotency-Key is still running (`idempotency_in_progress`).",
    "422": "This Idempotency-Key was used for another request (`idempotency_key_reused`).",
    "429": "Too many requests (`throttled`, with `retry_after` in seconds).",
}


class AutoSchema(SpectacularAutoSchema):
    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        idempotency = self._idempotency()
        if idempotency is not None:
            from retail.api.idempotency import HEADER

            parameters = [
                *parameters,
                OpenApiParameter(
                    HEADER,
                    OpenApiTypes.STR,
                    location=OpenApiParameter.HEADER,
                    required=idempotency["required"],
                    description="A key you generate (a UUID) per action; a retry with it replays the first answer.",
                ),
            ]
        return parameters

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        from retail.api.serializers import ApiErrorSerializer

        error = {"application/json": {"schema": self.resolve_serializer(ApiErrorSerializer, "response").ref}}
        responses = operation.setdefault("responses", {})
        for code in self._error_codes(operation):
            responses.setdefault(code, {"description": ERROR_DESCRIPTIONS[code], "content": error})
        return operation

    def _idempotency(self) -> dict | None:
        handler = getattr(self.view, self.method.lower(), None)
        return getattr(handler, "idempotency", None)

    def _error_codes(self, operation: dict) -> list[str]:
        parameters = operation.get("parameters", [])
        codes = []
        if parameters or "requestBody" in operation:
            codes.append("400")
        if self.view.get_authenticators():
            codes.append("401")  # a bad credential is refused even where none is needed
        if not all(isinstance(p, permissions.AllowAny) for p in self.view.get_permissions()):
            codes.append("403")
        if any(p.get("in") == "path" for p in parameters) or self._get_paginator() is not None:
            codes.append("404")  # also an invalid pagination cursor
        if self._idempotency() is not None:
            codes += ["409", "422"]
        if self.view.get_throttles():
            codes.append("429")
        return codes
