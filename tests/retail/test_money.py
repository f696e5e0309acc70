"""One formatter for money shown to people (retail.domain.money), by locale, and its template filter."""

from decimal import Decimal

import pytest
from django.template import engines

from retail.domain.money import NBSP, NNBSP, format_money


@pytest.mark.parametrize(
    ("amount", "currency", "locale", "expected"),
    [
        (Decimal("1813.72"), "EUR", "en-gb", "€1,813.72"),
        (Decimal("1813.72"), "EUR", "de", f"1.813,72{NBSP}€"),
        (Decimal("1813.72"), "EUR", "fr-fr", f"1{NNBSP}813,72{NBSP}€"),
        (Decimal("1813.72"), "EUR", "nl", f"€{NBSP}1.813,72"),
        (Decimal("1234567.5"), "GBP", "en-GB", "£1,234,567.50"),
        (Decimal("155.98"), "EUR", "en", "€155.98"),
        (Decimal("0"), "EUR", "en", "€0.00"),
        (Decimal("-12.5"), "EUR", "en", "-€12.50"),
        (Decimal("-12.5"), "EUR", "de-de", f"-12,50{NBSP}€"),
        (Decimal("999.995"), "EUR", "en", "€1,000.00"),  # half up, the rounding rule of orders
        (Decimal("0.005"), "EUR", "en", "€0.01"),
        (Decimal("1500"), "JPY", "en", "¥1,500"),  # no minor unit
        (Decimal("20"), "CHF", "en", f"CHF{NBSP}20.00"),  # a code stands apart from the number
        ("155.98", "EUR", "en", "€155.98"),  # text from JSON (timeline data, cart views)
        (42, "EUR", "en", "€42.00"),
        (19.99, "EUR", "en", "€19.99"),
    ],
)
def test_amounts_are_written_as_the_locale_writes_them(amount, currency, locale, expected):
    assert format_money(amount, currency, locale=locale) == expected


def test_nothing_to_show_stays_empty_and_text_that_is_no_number_is_left_alone():
    assert format_money(None) == ""
    assert format_money("") == ""
    assert format_money("n/a") == "n/a"
    assert format_money("NaN") == "NaN"


def test_the_deployment_currency_and_locale_are_the_defaults(settings):
    settings.CURRENCY, settings.MONEY_LOCALE = "EUR", "en-gb"
    assert format_money(Decimal("1813.72")) == "€1,813.72"
    settings.MONEY_LOCALE = "de-de"
    assert format_money(Decimal("1813.72")) == f"1.813,72{NBSP}€"
    settings.MONEY_LOCALE, settings.CURRENCY = "", "GBP"
    settings.LANGUAGE_CODE = "en-gb"
    assert format_money(Decimal("5")) == "£5.00"


def test_every_template_can_use_the_money_filter_without_loading_it(settings):
    settings.CURRENCY, settings.MONEY_LOCALE = "EUR", "en-gb"
    template = engines["django"].from_string("{{ total|money }} / {{ total|money:'GBP' }} / [{{ missing|money }}]")
    assert template.render({"total": Decimal("1813.72")}) == "€1,813.72 / £1,813.72 / []"
