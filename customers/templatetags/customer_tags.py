from django import template

from customers.normalise import format_phone

register = template.Library()


@register.filter
def phone(value: str) -> str:
    """An E.164 number the way people here write it (07700 900123), others internationally."""
    return format_phone(value or "")
