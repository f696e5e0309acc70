"""Tax classes and rates (issue 19.3): products are in the standard class unless said otherwise; a
market's rate per class over its days, never two on one day (checked, and refused by the database);
the rates of a day feed the kernel's tax (retail.domain.tax)."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation

from retail.domain.money import Money
from retail.domain.tax import TaxableLine, compute_tax
from retail.markets import save_market, save_tax_class, save_tax_rate, store_tax_rates, tax_rates_on
from retail.models import AuditEvent, Market, TaxClass, TaxRate
from retail.models.tax import STANDARD
from tests.admin.conftest import staff_user
from tests.factories import MarketFactory, StoreFactory, UserFactory
from tests.inventory.factories import ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def poland() -> Market:
    return MarketFactory()


@pytest.fixture
def reduced() -> TaxClass:
    return save_tax_class(tax_class=TaxClass(code="books", name="Books"), actor=None)


def rate(market, tax_class, percent, start, end=None, actor=None) -> TaxRate:
    return save_tax_rate(
        rate=TaxRate(market=market, tax_class=tax_class, rate=Decimal(percent), valid_from=start, valid_to=end),
        actor=actor,
    )


def standard() -> TaxClass:
    return TaxClass.objects.get(code=STANDARD)


def test_a_product_is_in_the_standard_class_unless_said_otherwise(reduced):
    assert ProductFactory().tax_class_id == STANDARD
    assert ProductFactory(tax_class=reduced).tax_class.name == "Books"


def test_a_rate_is_saved_and_audited(poland):
    # given
    actor = UserFactory()

    # when
    saved = rate(poland, standard(), "23", date(2011, 1, 1), actor=actor)

    # then
    event = AuditEvent.objects.get(action="tax_rate.saved", object_id=str(saved.pk))
    assert event.actor == actor
    assert event.details == {"market": "pl", "class": STANDARD, "rate": "23", "valid_from": "2011-01-01",
                             "valid_to": None, "changed": []}  # fmt: skip


def test_a_rate_change_on_a_day_gives_each_day_its_rate(poland, reduced):
    # given the standard rate going from 22% to 23% on 1 January 2011, and books at 5%
    rate(poland, standard(), "22", date(1993, 7, 5), date(2011, 1, 1))
    rate(poland, standard(), "23", date(2011, 1, 1))
    rate(poland, reduced, "5", date(2011, 1, 1))

    # then
    assert tax_rates_on(market=poland, day=date(2010, 12, 31)) == {STANDARD: Decimal("22.00")}
    assert tax_rates_on(market=poland, day=date(2011, 1, 1)) == {STANDARD: Decimal("23.00"), "books": Decimal("5.00")}


def test_an_overlapping_rate_is_refused_in_the_merchandisers_language(poland):
    # given a rate, and a merchandiser working in Polish (the admin showed this refusal in English)
    rate(poland, standard(), "23", date(2011, 1, 1))

    # when another rate of the class covers some of its days
    with translation.override("pl"), pytest.raises(ValidationError) as refused:
        rate(poland, standard(), "8", date(2012, 1, 1))

    # then it says why in Polish
    assert "Another rate" not in str(refused.value) and "stawka" in str(refused.value)


@pytest.mark.parametrize(
    ("start", "end"),
    [(date(2012, 1, 1), None), (date(2010, 1, 1), date(2011, 1, 2)), (date(2010, 1, 1), None)],
)
def test_two_rates_of_a_class_never_cover_one_day(poland, start, end):
    # given
    rate(poland, standard(), "23", date(2011, 1, 1))

    # when another rate of the class covers some of its days
    with pytest.raises(ValidationError, match="Another rate of this class in this market applies"):
        rate(poland, standard(), "8", start, end)

    # then
    assert TaxRate.objects.count() == 1


def test_the_database_refuses_overlapping_rates_too(poland):
    rate(poland, standard(), "23", date(2011, 1, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        TaxRate.objects.create(market=poland, tax_class=standard(), rate=Decimal(8), valid_from=date(2020, 1, 1))


def test_a_rate_ends_after_it_starts_and_is_a_percentage(poland):
    with pytest.raises(ValidationError) as refused:
        rate(poland, standard(), "123", date(2011, 1, 1), date(2011, 1, 1))
    assert "rate" in refused.value.message_dict
    assert refused.value.messages  # the span's own check says why as well


def test_the_admin_shows_an_overlapping_rate_as_a_form_error(client, poland):
    # given
    rate(poland, standard(), "23", date(2011, 1, 1))
    client.force_login(staff_user(superuser=True))

    # when
    response = client.post(
        "/admin/retail/taxrate/add/",
        {"market": poland.pk, "tax_class": standard().pk, "rate": "8", "valid_from": "2020-01-01", "valid_to": ""},
    )

    # then
    assert response.status_code == 200
    assert "Another rate of this class in this market applies on some of these days." in response.content.decode()


def test_an_order_in_pln_taxed_at_the_days_rates(poland, reduced):
    # given Poland's rates, a shirt (standard) and a book
    rate(poland, standard(), "23", date(2011, 1, 1))
    rate(poland, reduced, "5", date(2011, 1, 1))
    rates = tax_rates_on(market=poland, day=date(2026, 12, 4))
    shirt, book = ProductFactory(), ProductFactory(tax_class=reduced)

    # when
    lines = [
        TaxableLine(Money("99.99", poland.currency), rates[shirt.tax_class_id]),
        TaxableLine(Money("39.90", poland.currency), rates[book.tax_class_id]),
    ]
    order = compute_tax(lines, prices_include_tax=poland.prices_include_tax, currency=poland.currency)

    # then
    assert [(line.rate, line.net, line.tax) for line in order.lines] == [
        (Decimal(23), Money("81.29", "PLN"), Money("18.70", "PLN")),
        (Decimal(5), Money("38.00", "PLN"), Money("1.90", "PLN")),
    ]
    assert order.tax == Money("20.60", "PLN")


def test_a_stores_rates_are_read_once_then_from_the_cache_until_a_rate_changes(
    poland, reduced, django_assert_num_queries
):
    # given a store in Poland with its standard rate, read once
    store = StoreFactory(market=poland)
    rate(poland, standard(), "23", date(2011, 1, 1))
    with django_assert_num_queries(1):
        assert store_tax_rates(store=store, day=date(2026, 12, 4)).rates == {STANDARD: Decimal("23.00")}
    # when checkout asks again the same day / then no statement: the cache answers
    with django_assert_num_queries(0):
        assert store_tax_rates(store=store, day=date(2026, 12, 4)).rates == {STANDARD: Decimal("23.00")}
    # when head office adds a rate for books / then the next read sees it
    rate(poland, reduced, "5", date(2011, 1, 1))
    assert store_tax_rates(store=store, day=date(2026, 12, 4)).rates == {
        STANDARD: Decimal("23.00"),
        "books": Decimal("5.00"),
    }
    # and a market that stops including tax in its prices is seen at once too
    poland.prices_include_tax = False
    save_market(market=poland, actor=None)
    assert store_tax_rates(store=store, day=date(2026, 12, 4)).prices_include_tax is False


def test_a_rate_ending_before_it_starts_is_a_form_error_not_a_500(client, poland):
    # given a rate already in the market (the overlap check runs whenever the days are sound)
    rate(poland, standard(), "23", date(2011, 1, 1), date(2012, 1, 1))
    client.force_login(staff_user(superuser=True))

    # when head office types the days the wrong way round (PostgreSQL refuses such a daterange)
    response = client.post(
        "/admin/retail/taxrate/add/",
        {"market": poland.pk, "tax_class": standard().pk, "rate": "8", "valid_from": "2030-01-01",
         "valid_to": "2029-01-01"},
    )  # fmt: skip

    # then the form says so on the field, and nothing is saved
    assert response.status_code == 200
    assert "comes after the first day it applies" in response.content.decode()
    assert TaxRate.objects.filter(market=poland).count() == 1
    with pytest.raises(ValidationError) as refused:
        rate(poland, standard(), "8", date(2030, 1, 1), date(2029, 1, 1))
    assert "valid_to" in refused.value.message_dict
