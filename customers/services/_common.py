from django.core.exceptions import ValidationError

from customers.errors import CustomerError


def validation_to_error(exc: ValidationError, *, code: str = "invalid") -> CustomerError:
    """A Django ValidationError as the app's domain error (fields kept for the API and forms)."""
    fields = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
    first = next(iter(fields.values()))[0]
    return CustomerError(first, code=code, fields=fields)
