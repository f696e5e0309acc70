"""OpenAPI: our auth schemes, and the error answers every operation can give, documented once.

The exception handler answers every error in one shape, so the schema says so in one place:
each operation documents, per HTTP status, the error codes it can answer, derived from the
framework around it (input, credentials, permissions, lookups, idempotency, throttling) and from
the code its handler runs (retail.api.codes); an `@idempotent` view also documents its
`Idempotency-Key` header. The API description ends with the table of every code.
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiParameter
from rest_framework import permissions, serializers

from retail.api.codes import codes_of_handler
from retail.api.fields import schema_pattern
from retail.api.idempotency import HEADER, KEY_PATTERN
from retail.api.serializers import ApiErrorSerializer, StrictSerializer
from retail.errors import ErrorCode, RetailCode, error_codes


class XSessionTokenScheme(OpenApiAuthenticationExtension):
    target_class = "retail.api.authentication.SessionTokenAuthentication"
    name = "sessionToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "X-Session-Token",
            "description": "Session token from allauth headless sign-in (/_allauth/app/v1/auth/login).",
        }


# Examples of path parameters by name, registered by the apps' API modules (`path_example`): the docs
# show them and a fuzzer's first valid case sends them (they name rows of the demo chain).
PATH_EXAMPLES: dict[str, object] = {}


def path_example(name: str, value) -> None:
    PATH_EXAMPLES[name] = value


STATUS_TITLES = {
    400: "Bad input",
    401: "Missing, unknown or expired credentials",
    402: "Payment refused",
    403: "Not allowed",
    404: "Not found",
    409: "Conflict with the current state",
    410: "Gone",
    413: "Too large",
    415: "Unsupported media type",
    422: "Idempotency-Key reused",
    429: "Too many requests",
    503: "Try again",
}


class AutoSchema(SpectacularAutoSchema):
    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        idempotency = self._idempotency()
        if idempotency is not None:
            parameters = [
                *parameters,
                OpenApiParameter(
                    HEADER,
                    {"type": "string", "minLength": 1, "maxLength": 255, "pattern": schema_pattern(KEY_PATTERN)},
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

        if "requestBody" in operation and getattr(self.get_request_serializer(), "body_required", False):
            operation["requestBody"]["required"] = True
        for parameter in operation.get("parameters", []):
            if parameter.get("in") == "path" and parameter["name"] in PATH_EXAMPLES:
                parameter.setdefault("example", PATH_EXAMPLES[parameter["name"]])
        error = {"application/json": {"schema": self.resolve_serializer(ApiErrorSerializer, "response").ref}}
        responses = operation.setdefault("responses", {})
        by_status: dict[int, list[ErrorCode]] = {}
        for code in sorted(self.error_codes(operation), key=lambda c: (c.status, c.value)):
            by_status.setdefault(code.status, []).append(code)
        for status_code, codes in by_status.items():
            # Derived, so it replaces any error answer a view wrote by hand.
            responses[str(status_code)] = {
                "description": _describe(status_code, codes),
                "content": error,
                "x-error-codes": [code.value for code in codes],
            }
        return operation

    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)

        if direction == "request" and isinstance(serializer, StrictSerializer):
            schema["additionalProperties"] = False  # refused as unknown_field: generated clients know it too
        if type(serializer).__doc__ is None:
            schema.pop("description", None)  # not the base class's docstring
        return schema

    def _insert_field_validators(self, field, schema):
        super()._insert_field_validators(field, schema)
        if "oneOf" in schema and getattr(field, "example", None) is not None:
            # allow_blank wrapped the field in oneOf: its example on the property too, where generators look
            # for a whole value (schemathesis' coverage phase otherwise builds one from the branch's bounds, and
            # "+1000000" fits the E.164 pattern but no numbering plan: a valid case refused, validation_mismatch)
            schema.setdefault("example", field.example)

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if getattr(field, "example", None) is not None:
            target = schema["oneOf"][0] if "oneOf" in schema else schema  # allow_blank wraps it in oneOf
            target.setdefault("example", field.example)
        if isinstance(field, serializers.ListSerializer) and schema.get("type") == "array":
            if field.max_length is not None:
                schema["maxItems"] = field.max_length
            least = field.min_length if field.min_length is not None else (0 if field.allow_empty else 1)
            if least:
                schema["minItems"] = least
        return schema

    def _idempotency(self) -> dict | None:
        handler = getattr(self.view, self.method.lower(), None)
        return getattr(handler, "idempotency", None)

    def error_codes(self, operation: dict) -> set[ErrorCode]:
        """What the framework answers around this operation, plus what its handler's code raises."""
        parameters = operation.get("parameters", [])
        codes = set(codes_of_handler(type(self.view), self.method))
        if parameters or "requestBody" in operation:
            codes.add(RetailCode.INVALID)
        if "requestBody" in operation or self.method.upper() in ("POST", "PUT", "PATCH", "DELETE"):
            # Every write reads its body (JSON, under the size limit of retail.api.middleware) through a
            # StrictSerializer, EmptyInput when it takes none.
            codes |= {RetailCode.INVALID, RetailCode.UNKNOWN_FIELD, RetailCode.PARSE_ERROR}
            codes |= {RetailCode.UNSUPPORTED_MEDIA_TYPE, RetailCode.REQUEST_TOO_LARGE}
        if self.view.get_authenticators():
            codes.add(RetailCode.AUTHENTICATION_FAILED)  # a bad credential is refused even where none is needed
        if not all(isinstance(p, permissions.AllowAny) for p in self.view.get_permissions()):
            codes |= {RetailCode.NOT_AUTHENTICATED, RetailCode.PERMISSION_DENIED}
        if any(p.get("in") == "path" for p in parameters) or self._get_paginator() is not None:
            codes.add(RetailCode.NOT_FOUND)
        if self._get_paginator() is not None:
            codes.add(RetailCode.INVALID_CURSOR)  # a cursor the list did not give out
        idempotency = self._idempotency()
        if idempotency is not None:
            codes |= {RetailCode.IDEMPOTENCY_IN_PROGRESS, RetailCode.IDEMPOTENCY_MISMATCH}
            codes |= {RetailCode.IDEMPOTENCY_KEY_INVALID}
            if idempotency["required"]:
                codes.add(RetailCode.IDEMPOTENCY_KEY_REQUIRED)
        if self.view.get_throttles():
            codes.add(RetailCode.THROTTLED)
        return codes


def _describe(status_code: int, codes: list[ErrorCode]) -> str:
    title = STATUS_TITLES.get(status_code, "Error")
    return f"{title}: " + "; ".join(f"`{code.value}` ({code.meaning.rstrip('.')})" for code in codes) + "."


def error_code_table() -> str:
    """Every error code of the API, by app, as Markdown (for the docs page)."""
    out = [
        "## Errors",
        "",
        "Every error answers JSON `{code, message, fields}`: `code` is stable (program against it), "
        "`message` is for a person, `fields` names the inputs at fault. Each operation lists the codes "
        "it can answer under its responses (`x-error-codes`).",
    ]
    for enum in error_codes():
        out += ["", f"### {enum.__name__.removesuffix('Code') or 'Common'}", "", "| code | status | meaning |"]
        out.append("|---|---|---|")
        out += [f"| `{code.value}` | {code.status} | {code.meaning} |" for code in enum]
    return "\n".join(out)


def add_error_codes_to_description(result, generator, request, public):
    """drf-spectacular postprocessing hook: the docs page lists every error code."""
    info = result.setdefault("info", {})
    info["description"] = f"{info.get('description', '')}\n\n{error_code_table()}".strip()
    return result
