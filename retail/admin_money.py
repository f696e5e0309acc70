"""Amounts in the admin, always with their currency, as the reader writes them ("1 234,50 zł", "€30.00").

Django shows a DecimalField as a bare number ("1234.50"), which says nothing once a deployment sells in
several currencies: a merchandiser could not tell 20 zł of store credit from €20. So an admin list or
detail page never shows a money field itself but its `shown_<field>`, written by the money kernel's
`format_money` in the row's own currency:

    @money_columns(Order, "total", "shipping_total")      # adds shown_total, shown_shipping_total
    class OrderAdmin(admin.ModelAdmin):
        list_display = ["number", "shown_total"]
        fields = readonly_fields = with_money_shown(ORDER_FIELDS, ["total", "shipping_total"])

`currency` names where the row's currency is: a field ("currency"), a path ("account__currency": select
it with the rows), or None for head office's home currency (the catalog's base prices, the tiers' spend),
read once per request. An empty currency (an account before its first credit) is the home currency too.
"""

from collections.abc import Callable, Iterable

from django.contrib import admin

from retail.admin import current_admin_request
from retail.domain.money import format_money
from retail.markets import home_currency


def reader_home_currency() -> str:
    """The home market's currency, read once per admin request (a list of 100 rows asks once)."""
    request = current_admin_request()
    if request is None:
        return home_currency()
    if not hasattr(request, "_home_currency"):
        request._home_currency = home_currency()
    return request._home_currency


def currency_of(obj, currency: str | Callable | None) -> str:
    if currency is None:
        return reader_home_currency()
    if callable(currency):
        code = currency(obj)
    else:
        code = obj
        for part in currency.split("__"):
            code = getattr(code, part, None) if code is not None else None
    return code or reader_home_currency()


def money_column(model, field: str, currency: str | Callable | None = "currency", *, description=None):
    """A ModelAdmin (or inline) method showing `model.field` with its currency, labelled and sorted as the field."""

    @admin.display(description=description or model._meta.get_field(field).verbose_name, ordering=field)
    def shown(model_admin, obj):
        amount = getattr(obj, field)
        if amount is None:
            return model_admin.get_empty_value_display()
        return format_money(amount, currency_of(obj, currency))

    shown.__name__ = shown.__qualname__ = f"shown_{field}"
    return shown


def money_columns(model, *fields: str, currency: str | Callable | None = "currency"):
    """Class decorator: `shown_<field>` on the admin (or inline) for each money field of `model`."""

    def add(cls):
        for field in fields:
            setattr(cls, f"shown_{field}", money_column(model, field, currency))
        return cls

    return add


def with_money_shown(names: Iterable[str], money: Iterable[str]) -> list[str]:
    """`names` (fields of a page) with each money field replaced by its `shown_` column, in place."""
    money = set(money)
    return [f"shown_{name}" if name in money else name for name in names]
