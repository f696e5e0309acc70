"""`{{ amount|money }}` (or `{{ amount|money:order.currency }}`) in every template: retail.domain.money.

A builtin of the template engine (settings.TEMPLATES), so no template has to load it.
"""

from django import template

from retail.domain.money import format_money

register = template.Library()


@register.filter(name="money")
def money(amount, currency: str | None = None) -> str:
    return format_money(amount, currency or None)
