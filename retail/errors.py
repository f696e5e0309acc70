"""Domain errors: one exception type per app, each carrying a stable machine code.

Services raise them; the API exception handler and the portal turn them into a 4xx with
`{"code", "message", "fields"}` or a message on the page. Subclass per app (InventoryError,
CustomerError, ...) and set `status` where 400 is not the right answer.
"""


class DomainError(Exception):
    status = 400
    code = "invalid"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        fields: dict | None = None,
        status: int | None = None,
        extra: dict | None = None,
    ):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        if status:
            self.status = status
        self.fields = fields or {}
        self.extra = extra or {}

    def __str__(self):
        return f"{self.code}: {self.message}"


class RetailError(DomainError):
    pass


class NotFound(DomainError):
    status = 404
    code = "not_found"


class PermissionDenied(DomainError):
    status = 403
    code = "permission_denied"
