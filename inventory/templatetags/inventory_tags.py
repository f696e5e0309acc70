from django import template

from inventory.counts import note_read, reasons_read

register = template.Library()


@register.filter(name="count_note")
def count_note(note) -> str:
    """`{{ count.note|count_note }}`: a note the system wrote (a CSV import) in the reader's language."""
    return note_read(note or "")


@register.filter(name="count_reasons")
def count_reasons(stored) -> list[str]:
    """`{% for reason in count.approval_reasons|count_reasons %}`: the stored reasons in the reader's language."""
    return reasons_read(stored)
