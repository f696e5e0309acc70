from django import template

from inventory.counts import reasons_read

register = template.Library()


@register.filter(name="count_reasons")
def count_reasons(stored) -> list[str]:
    """`{% for reason in count.approval_reasons|count_reasons %}`: the stored reasons in the reader's language."""
    return reasons_read(stored)
