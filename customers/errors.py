from retail.errors import DomainError


class CustomerError(DomainError):
    """Anything the customers app refuses, with a stable code (e.g. insufficient_points)."""

    code = "customer_error"
