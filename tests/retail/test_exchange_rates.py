"""Exchange rates (issue 19.2): head office's rate of a currency into the reporting currency (the
home market's) over its days; the rate on a day, a clear refusal when there is none; never two rates
of a currency on one day; saved and deleted in the admin through the services, audited."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from retail.domain.money import Money
from retail.exchange_rates import (
    MissingExchangeRate,
    convert,
    delete_exchange_rate,
    rate_on,
    rates_on,
    reporting_currency,
    save_exchange_rate,
)
from retail.markets import home_market, save_market
from retail.models import AuditEvent, ExchangeRate, Market
from tests.admin.conftest import staff_user
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NOV, DEC, JAN = date(2026, 11, 1), date(2026, 12, 1), date(2027, 1, 1)


def pln(rate: str, start: date, end: date | None = None, actor=None, currency="PLN") -> ExchangeRate:
    made = ExchangeRate(currency=currency, rate=Decimal(rate), valid_from=start, valid_to=end, source="ECB")
    return save_exchange_rate(rate=made, actor=actor)


def test_the_reporting_currency_is_the_home_markets():
    assert reporting_currency() == home_market().currency == "EUR"


def test_a_rate_is_saved_for_the_home_currency_and_audited():
    actor = UserFactory()
    saved = pln("0.2315", NOV, actor=actor)
    assert (saved.currency, saved.reporting_currency) == ("PLN", "EUR")
    event = AuditEvent.objects.get(action="exchange_rate.saved")
    assert event.actor == actor
    assert event.details["rate"] == "0.2315" and event.details["valid_from"] == "2026-11-01"


def test_the_rate_on_a_day_and_the_monthly_rates_typed_one_after_the_other():
    # given November's rate, then December's typed without ending November's
    november = pln("0.2300", NOV)
    december = pln("0.2315", DEC)
    # then November's now ends where December's begins (audited on December's save)
    november.refresh_from_db()
    assert november.valid_to == DEC and december.valid_to is None
    saved = AuditEvent.objects.get(action="exchange_rate.saved", object_id=str(december.pk))
    assert saved.details["ended"]["id"] == november.pk
    # and each day reads its own
    assert rate_on(currency="PLN", day=date(2026, 11, 30)).rate == Decimal("0.2300")
    assert rate_on(currency="pln", day=DEC).rate == Decimal("0.2315")
    assert rate_on(currency="PLN", day=date(2030, 1, 1)).valid_from == DEC
    # a rate typed between two ends where the later begins
    october = pln("0.2280", date(2026, 10, 1))
    assert october.valid_to == NOV


def test_a_day_without_a_rate_says_so_and_convert_refuses():
    pln("0.2315", DEC)
    conversion = rate_on(currency="PLN", day=date(2026, 11, 30))
    assert conversion.missing and conversion.convert(Decimal("10")) is None
    assert conversion.message == (
        "No exchange rate from PLN to EUR on 30 Nov 2026: head office adds one in the admin "
        "(Stores and staff > Exchange rates)."
    )
    with pytest.raises(MissingExchangeRate) as refused:
        convert(amount=Money("100.00", "PLN"), day=date(2026, 11, 30))
    assert refused.value.code == "exchange_rate_missing" and refused.value.status == 409
    # on a day with a rate: the one rounding rule, half up to the cent
    assert convert(amount=Money("100.02", "PLN"), day=DEC) == Money("23.15", "EUR")  # 23.154630


def test_rates_of_several_currencies_are_read_in_one_query(django_assert_num_queries):
    pln("0.2315", NOV)
    pln("1.1900", NOV, currency="GBP")
    with django_assert_num_queries(1):
        rates = rates_on(currencies={"PLN", "GBP", "EUR", "CHF"}, day=DEC, reporting="EUR")
    assert {c: r.rate for c, r in rates.items()} == {
        "CHF": None,
        "EUR": Decimal(1),
        "GBP": Decimal("1.19"),
        "PLN": Decimal("0.2315"),
    }
    assert rates["EUR"].identity and rates["EUR"].convert(Decimal("12.34")) == Decimal("12.34")


def test_two_rates_never_cover_one_day():
    pln("0.2300", NOV, DEC)
    with pytest.raises(ValidationError) as refused:
        pln("0.2400", date(2026, 11, 15), date(2026, 11, 20))
    assert "Another rate of PLN applies" in refused.value.message_dict["valid_from"][0]
    # and the database refuses it as well, whoever writes
    with pytest.raises(IntegrityError), transaction.atomic():
        ExchangeRate.objects.create(
            currency="PLN", reporting_currency="EUR", rate=1, valid_from=date(2026, 11, 15), valid_to=DEC
        )


def test_a_rate_of_the_reporting_currency_itself_or_not_positive_is_refused():
    with pytest.raises(ValidationError) as refused:
        pln("1", NOV, currency="EUR")
    assert "is the reporting currency" in refused.value.message_dict["currency"][0]
    with pytest.raises(ValidationError) as refused:
        pln("0", NOV)
    assert "rate" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        pln("0.23", DEC, NOV)
    assert "valid_to" in refused.value.message_dict


def test_when_home_moves_to_another_currency_the_old_rates_do_not_answer():
    pln("0.2315", NOV)
    uk = save_market(
        market=Market(
            code="uk", name="United Kingdom", countries=["GB"], currency="GBP", default_language="en-gb", is_home=True
        ),
        actor=None,
    )
    assert reporting_currency() == uk.currency
    assert rate_on(currency="PLN", day=DEC).missing  # PLN -> EUR is not PLN -> GBP


def test_a_deleted_rate_is_audited():
    rate = pln("0.2315", NOV)
    delete_exchange_rate(rate=rate, actor=None)
    assert not ExchangeRate.objects.exists()
    assert AuditEvent.objects.get(action="exchange_rate.deleted").details["currency"] == "PLN"


def test_the_admin_adds_the_next_months_rate_and_refuses_an_overlap_as_a_form_error(client):
    # given November's open rate
    november = pln("0.2300", NOV)
    user = staff_user(superuser=True)
    client.force_login(user)
    # when head office adds December's in the admin
    response = client.post(
        "/admin/retail/exchangerate/add/",
        {"currency": "pln", "rate": "0.2315", "valid_from": "2026-12-01", "source": "ECB"},
    )
    # then it is saved for the home currency, November ends, and the trail names who
    assert response.status_code == 302, response.content.decode()[:2000]
    december = ExchangeRate.objects.get(valid_from=DEC)
    assert (december.currency, december.reporting_currency, december.valid_to) == ("PLN", "EUR", None)
    november.refresh_from_db()
    assert november.valid_to == DEC
    assert AuditEvent.objects.filter(action="exchange_rate.saved", actor=user).count() == 1
    # when a rate is typed over November's days / then a form error, nothing saved
    response = client.post(
        "/admin/retail/exchangerate/add/",
        {"currency": "PLN", "rate": "0.2", "valid_from": "2026-11-10", "valid_to": "2026-11-12"},
    )
    assert response.status_code == 200
    assert "Another rate of PLN applies on some of these days" in response.content.decode()
    assert ExchangeRate.objects.count() == 2
    # and the days the wrong way round are a form error too, not a 500
    response = client.post(
        "/admin/retail/exchangerate/add/",
        {"currency": "PLN", "rate": "0.2", "valid_from": "2028-01-01", "valid_to": "2027-01-01"},
    )
    assert response.status_code == 200 and "comes after the first day it applies" in response.content.decode()
    # and the list shows them
    assert "0.23150000" in client.get("/admin/retail/exchangerate/").content.decode()
