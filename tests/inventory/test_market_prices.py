"""Prices per market (issue 19.2): a market's list has a price per variant over a span of time; a
variant without one sells at the default list's price only in the default list's currency."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from inventory.errors import InventoryError
from inventory.market_prices import ListPrice, list_for_market, market_prices, price_in_market, set_list_prices
from inventory.models import PriceChange, PriceList, Variant, VariantPrice
from inventory.pricing import default_price_list
from retail.domain.money import Money
from retail.markets import home_market
from retail.models import AuditEvent, Market
from tests.factories import MarketFactory, UserFactory
from tests.inventory.factories import ProductFactory, VariantFactory, enter_market_prices

pytestmark = pytest.mark.django_db


@pytest.fixture
def shirt():
    return VariantFactory(sku="SHIRT-M", product=ProductFactory(base_price=Decimal("39.00")))


@pytest.fixture
def poland():
    return MarketFactory(name="PL", default_language="en-gb")


@pytest.fixture
def italy():
    return MarketFactory(code="it", name="IT", countries=["IT"], currency="EUR", default_language="en-gb")


def test_the_home_market_sells_at_the_catalog_price(shirt, settings):
    # given the default list in the deployment's currency, a home market in it
    default_price_list()

    # when
    price = price_in_market(variant=shirt, market=home_market())

    # then
    assert price == Money("39.00", settings.CURRENCY)


def test_a_market_in_another_currency_without_a_price_does_not_sell_the_variant(shirt, poland):
    # when / then
    with pytest.raises(InventoryError) as caught:
        price_in_market(variant=shirt, market=poland)
    assert caught.value.code == "not_sold_in_market"
    assert caught.value.code.status == 409
    assert "SHIRT-M" in caught.value.message


def test_a_market_list_price_wins_and_its_currency_is_the_markets(shirt, poland):
    # given
    plist = list_for_market(market=poland)
    set_list_prices(price_list=plist, prices=[ListPrice(shirt, Decimal("169.00"))], reason="launch")

    # when
    price = price_in_market(variant=shirt, market=poland)

    # then
    assert price == Money("169.00", "PLN")
    assert plist.currency == "PLN" and plist.market == poland


def test_a_market_in_the_default_currency_falls_back_to_the_catalog(shirt, italy):
    # given Italy's list has a price for another variant only
    other = VariantFactory(product=shirt.product, sku="SHIRT-L")
    set_list_prices(price_list=list_for_market(market=italy), prices=[ListPrice(other, Decimal("45"))], reason="x")

    # when
    pricing = market_prices(variants=Variant.objects.select_related("product").order_by("pk"), market=italy)

    # then
    assert pricing.get(shirt.pk) == Money("39.00", "EUR")
    assert pricing.get(other.pk) == Money("45.00", "EUR")


def test_validity_boundaries_a_future_price_starts_at_its_moment_and_the_old_one_ends_there(shirt, poland):
    # given 169 from now, 149 entered ahead for a weekend
    plist = list_for_market(market=poland)
    now = timezone.now()
    start, end = now + timedelta(days=2), now + timedelta(days=4)
    set_list_prices(price_list=plist, prices=[ListPrice(shirt, Decimal("169"), valid_from=now)], reason="launch")
    set_list_prices(price_list=plist, prices=[ListPrice(shirt, Decimal("149"), start, end)], reason="weekend")

    def at(moment):
        return price_in_market(variant=shirt, market=poland, at=moment).amount

    # then: from is inclusive, to is exclusive; after the weekend the price before it comes back
    assert at(now) == Decimal("169.00")
    assert at(start - timedelta(microseconds=1)) == Decimal("169.00")
    assert at(start) == Decimal("149.00")
    assert at(end - timedelta(microseconds=1)) == Decimal("149.00")
    assert at(end) == Decimal("169.00")
    assert at(end + timedelta(days=365)) == Decimal("169.00")
    with pytest.raises(InventoryError):  # before any price: not sold
        at(now - timedelta(seconds=1))
    spans = list(VariantPrice.objects.filter(variant=shirt).order_by("valid_from").values_list("price", "valid_to"))
    assert spans == [(Decimal("169.00"), start), (Decimal("149.00"), end), (Decimal("169.00"), None)]


def test_a_price_ending_leaves_the_variant_unsold_then(shirt, poland):
    # given a price for one week only
    now = timezone.now()
    plist = list_for_market(market=poland)
    set_list_prices(price_list=plist, prices=[ListPrice(shirt, Decimal("99"), now, now + timedelta(days=7))],
                    reason="trial")  # fmt: skip

    # then
    assert price_in_market(variant=shirt, market=poland, at=now + timedelta(days=6)).amount == Decimal("99.00")
    with pytest.raises(InventoryError):
        price_in_market(variant=shirt, market=poland, at=now + timedelta(days=7))


def test_two_prices_never_cover_one_moment_in_the_database(shirt, poland):
    # given
    plist = list_for_market(market=poland)
    now = timezone.now()
    VariantPrice.objects.create(price_list=plist, variant=shirt, price=1, valid_from=now)

    # when / then
    with pytest.raises(IntegrityError), transaction.atomic():
        VariantPrice.objects.create(price_list=plist, variant=shirt, price=2, valid_from=now + timedelta(days=1))


def test_a_list_left_in_its_markets_former_currency_sells_nothing(shirt, poland):
    # given Poland's list priced in PLN, then the market is switched to EUR (the default's currency)
    set_list_prices(price_list=list_for_market(market=poland), prices=[ListPrice(shirt, Decimal("169"))], reason="x")
    Market.objects.filter(pk=poland.pk).update(currency="EUR")
    poland.refresh_from_db()

    # then: the złoty price is not read as euros; the catalog's euros are the price
    assert price_in_market(variant=shirt, market=poland) == Money("39.00", "EUR")


def test_list_prices_are_ledgered_and_audited_and_the_same_price_twice_is_no_change(shirt, poland):
    # given
    actor = UserFactory()
    plist = list_for_market(market=poland, actor=actor)

    # when
    first = set_list_prices(price_list=plist, prices=[ListPrice(shirt, Decimal("169"))], reason="launch", actor=actor)
    again = set_list_prices(price_list=plist, prices=[ListPrice(shirt, Decimal("169.00"))], reason="again")
    then = set_list_prices(price_list=plist, prices=[ListPrice(shirt, Decimal("159"))], reason="cheaper")

    # then
    assert (first, again, then) == (1, 0, 1)
    rows = list(PriceChange.objects.filter(price_list=plist).order_by("pk").values_list("old_price", "new_price"))
    assert rows == [(None, Decimal("169.00")), (Decimal("169.00"), Decimal("159.00"))]
    assert AuditEvent.objects.filter(action="price_list.prices_set").count() == 2
    assert price_in_market(variant=shirt, market=poland).amount == Decimal("159.00")


def test_bad_list_prices_are_refused_with_a_code(shirt, poland):
    plist = list_for_market(market=poland)
    now = timezone.now()
    cases = [
        (ListPrice(shirt, Decimal("-1")), "invalid"),
        (ListPrice(shirt, "abc"), "invalid"),
        (ListPrice(shirt, Decimal("1"), now, now - timedelta(days=1)), "invalid"),
    ]
    for entry, code in cases:
        with pytest.raises(InventoryError) as caught:
            set_list_prices(price_list=plist, prices=[entry], reason="x")
        assert caught.value.code == code
    with pytest.raises(InventoryError) as caught:
        set_list_prices(price_list=default_price_list(), prices=[ListPrice(shirt, Decimal("1"))], reason="x")
    assert caught.value.code == "default_list_prices"
    assert not VariantPrice.objects.exists()


def test_a_markets_list_is_in_its_currency(poland):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        PriceList(code="pl-eur", name="PL in euros", currency="EUR", market=poland).full_clean()


def test_prices_of_many_variants_in_one_query(django_assert_num_queries, poland):
    # given 3, then 30 variants priced in Poland
    plist = list_for_market(market=poland)
    for n in (3, 27):
        variants = [VariantFactory() for _ in range(n)]
        set_list_prices(price_list=plist, prices=[ListPrice(v, Decimal(10 + i)) for i, v in enumerate(variants)],
                        reason="x")  # fmt: skip
        loaded = list(Variant.objects.select_related("product"))

        # when / then
        with django_assert_num_queries(1):
            pricing = market_prices(variants=loaded, market=poland)
        assert len(pricing.prices) == len(loaded)
        assert {p.currency for p in pricing.prices.values()} == {"PLN"}


@pytest.fixture
def admin_client(client):
    from tests.helpers import enrol_totp

    superuser = UserFactory(is_staff=True, is_superuser=True)
    enrol_totp(superuser)
    client.force_login(superuser)
    return client


def test_head_office_makes_a_markets_list_and_enters_prices_ahead_in_the_admin(admin_client, shirt, poland):
    # when: a list for Poland, in PLN
    response = admin_client.post(
        "/admin/inventory/pricelist/add/",
        {"code": "pl", "name": "Poland", "market": poland.pk, "currency": "pln",
         "prices-TOTAL_FORMS": "0", "prices-INITIAL_FORMS": "0"},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:3000]
    plist = PriceList.objects.get(market=poland)
    assert plist.currency == "PLN"
    # a list in another currency than its market's is a form error
    wrong = admin_client.post(
        "/admin/inventory/pricelist/add/",
        {"code": "pl2", "name": "x", "market": poland.pk, "currency": "EUR",
         "prices-TOTAL_FORMS": "0", "prices-INITIAL_FORMS": "0"},
    )  # fmt: skip
    assert wrong.status_code == 200 and PriceList.objects.filter(code="pl2").count() == 0

    # when: a price from next Monday, entered now
    monday = timezone.localtime() + timedelta(days=3)
    response = admin_client.post(
        "/admin/inventory/variantprice/add/",
        {"price_list": plist.pk, "variant": shirt.pk, "price": "169.00",
         "valid_from_0": monday.strftime("%Y-%m-%d"), "valid_from_1": monday.strftime("%H:%M:%S"),
         "valid_to_0": "", "valid_to_1": "", "reason": "Launch"},
    )  # fmt: skip

    # then
    assert response.status_code == 302, response.content.decode()[:3000]
    assert price_in_market(variant=shirt, market=poland, at=monday + timedelta(seconds=1)).amount == Decimal("169.00")
    with pytest.raises(InventoryError):  # not before Monday
        price_in_market(variant=shirt, market=poland, at=monday - timedelta(seconds=1))
    assert PriceChange.objects.get(price_list=plist).reason == "Launch"
    listed = admin_client.get("/admin/inventory/variantprice/", {"price_list__id__exact": plist.pk})
    assert "169,00" in listed.content.decode() or "169.00" in listed.content.decode()
    assert admin_client.get(f"/admin/inventory/pricelist/{plist.pk}/change/").status_code == 200
    # a backwards period is a form error, nothing written
    bad = admin_client.post(
        "/admin/inventory/variantprice/add/",
        {"price_list": plist.pk, "variant": shirt.pk, "price": "1", "reason": "x",
         "valid_from_0": monday.strftime("%Y-%m-%d"), "valid_from_1": "10:00:00",
         "valid_to_0": timezone.localtime().strftime("%Y-%m-%d"), "valid_to_1": "09:00:00"},
    )  # fmt: skip
    assert bad.status_code == 200 and VariantPrice.objects.count() == 1


def test_the_price_expression_says_what_the_resolver_says(shirt, poland, italy):
    # given a PLN price for one variant, an Italian price for another, a third priced by the catalog only
    from inventory.market_prices import price_expression

    listed, catalog = VariantFactory(sku="LISTED"), VariantFactory(sku="CATALOG")
    set_list_prices(price_list=list_for_market(market=poland), prices=[ListPrice(listed, Decimal("99"))], reason="x")
    set_list_prices(price_list=list_for_market(market=italy), prices=[ListPrice(listed, Decimal("45"))], reason="x")
    variants = list(Variant.objects.select_related("product").order_by("pk"))
    for where in (poland, italy, home_market()):
        # when
        annotated = dict(Variant.objects.annotate(p=price_expression(market=where)).values_list("pk", "p"))
        resolved = market_prices(variants=variants, market=where).prices

        # then
        assert annotated == {v.pk: (resolved[v.pk].amount if v.pk in resolved else None) for v in variants}
    assert annotated[catalog.pk] == Decimal("39.00") and annotated[listed.pk] == Decimal("39.00")


def test_a_bulk_change_on_a_markets_list_changes_its_prices_in_force_and_keeps_the_catalog_and_later_prices(
    shirt, poland
):
    from inventory.pricing import change_prices, plan_price_change

    # given Poland's price now and one entered ahead for next month; the catalog's own price
    plist = list_for_market(market=poland)
    now = timezone.now()
    later = now + timedelta(days=30)
    set_list_prices(price_list=plist, prices=[ListPrice(shirt, Decimal("100"), now)], reason="launch")
    set_list_prices(price_list=plist, prices=[ListPrice(shirt, Decimal("120"), later)], reason="next season")
    products = shirt.product.__class__.objects.filter(pk=shirt.product_id)

    # when Poland's list goes up 10%, ending .99
    plan = plan_price_change(products=products, percent=10, ending=".99", price_list=plist)
    result = change_prices(products=products, percent=10, ending=".99", reason="PL +10", price_list=plist)

    # then the PLN price now is 109.99, next month's stays, the catalog did not move
    assert [(p.variant.sku, p.was, p.now) for p in plan] == [("SHIRT-M", Decimal("100.00"), Decimal("109.99"))]
    assert (result.products, result.prices) == (1, 1)
    assert price_in_market(variant=shirt, market=poland).amount == Decimal("109.99")
    assert price_in_market(variant=shirt, market=poland, at=later).amount == Decimal("120.00")
    shirt.product.refresh_from_db()
    assert shirt.product.base_price == Decimal("39.00")
    change = PriceChange.objects.filter(source="bulk").get()
    assert (change.price_list, change.old_price, change.new_price) == (plist, Decimal("100.00"), Decimal("109.99"))


def test_a_scheduled_change_on_a_markets_list_starts_and_ends_there(shirt, poland, italy):
    from inventory.pricing import run_price_schedules, schedule_price_change

    plist = list_for_market(market=poland)
    set_list_prices(price_list=plist, prices=[ListPrice(shirt, Decimal("100"))], reason="launch")
    products = shirt.product.__class__.objects.filter(pk=shirt.product_id)
    now = timezone.now()
    start, end = now + timedelta(hours=1), now + timedelta(hours=3)

    # when a weekend -20% is scheduled on Poland's list (a default-list schedule on the same product does not clash)
    schedule = schedule_price_change(products=products, percent=-20, starts_at=start, ends_at=end, name="Weekend",
                                     reason="promo", price_list=plist)  # fmt: skip
    schedule_price_change(products=products, percent=-10, starts_at=start, ends_at=end, name="Home", reason="promo")

    # then it runs on Poland's list only, and puts the price back at its end
    run_price_schedules(now=start + timedelta(seconds=1))
    assert price_in_market(variant=shirt, market=poland, at=start + timedelta(minutes=1)).amount == Decimal("80.00")
    run_price_schedules(now=end + timedelta(seconds=1))
    assert price_in_market(variant=shirt, market=poland, at=end + timedelta(minutes=1)).amount == Decimal("100.00")
    assert schedule.price_changes.count() == 2


def test_the_catalog_api_shows_the_callers_market_prices_in_constant_queries(
    api_client, shirt, poland, django_assert_num_queries
):
    from tests.factories import StoreFactory

    # given a PLN price for the shirt, a second product priced only at home, a store in Warsaw
    plist = list_for_market(market=poland)
    set_list_prices(price_list=plist, prices=[ListPrice(shirt, Decimal("169"))], reason="x")
    socks = VariantFactory(sku="SOCKS", product=ProductFactory(name="Socks", base_price=Decimal("5")))
    StoreFactory(code="WAW-01", market=poland)

    # when / then: by country, by store, and at home
    by_country = {p["name"]: p for p in api_client.get("/api/v1/products/", {"country": "pl"}).json()["results"]}
    shirt_row = by_country[shirt.product.name]
    assert (shirt_row["currency"], shirt_row["base_price"], shirt_row["variants"][0]["price"]) == (
        "PLN", "169.00", "169.00"
    )  # fmt: skip
    assert (by_country["Socks"]["base_price"], by_country["Socks"]["variants"][0]["price"]) == (None, None)
    detail = api_client.get(f"/api/v1/products/{shirt.product_id}/", {"store": "WAW-01"}).json()
    assert (detail["currency"], detail["variants"][0]["price"]) == ("PLN", "169.00")
    home = api_client.get(f"/api/v1/products/{socks.product_id}/").json()
    assert (home["currency"], home["base_price"], home["variants"][0]["price"]) == (
        home_market().currency, "5.00", "5.00"
    )  # fmt: skip
    assert api_client.get("/api/v1/products/", {"store": "NOPE"}).json()["code"] == "unknown_location"
    assert api_client.get("/api/v1/products/", {"country": "P0L"}).status_code == 400

    # the list costs the same statements with more priced products
    with django_assert_num_queries(3):
        api_client.get("/api/v1/products/", {"country": "PL"})
    more = [VariantFactory() for _ in range(8)]
    set_list_prices(price_list=plist, prices=[ListPrice(v, Decimal("10")) for v in more], reason="x")
    with django_assert_num_queries(3):
        assert len(api_client.get("/api/v1/products/", {"country": "PL"}).json()["results"]) == 10


def test_a_lists_prices_export_as_csv(admin_client, shirt, poland):
    from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

    plist = list_for_market(market=poland)
    now = timezone.now()
    set_list_prices(price_list=plist, prices=[ListPrice(shirt, Decimal("169"), now)], reason="x")
    default = default_price_list()

    response = admin_client.post(
        "/admin/inventory/pricelist/", {"action": "export_prices", ACTION_CHECKBOX_NAME: [plist.pk, default.pk]}
    )

    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    lines = text.strip().splitlines()
    assert lines[0] == "price_list,currency,sku,price,valid_from,valid_to"
    assert f"{default.code},{default.currency},SHIRT-M,39.00,," in lines
    assert f"{plist.code},PLN,SHIRT-M,169.00,{now.isoformat()}," in lines


def test_an_entered_price_opens_read_only_in_the_admin(admin_client, shirt, poland):
    # given a price entered on Poland's list
    enter_market_prices(poland, shirt, price="129.00")
    entered = VariantPrice.objects.get(variant=shirt)
    # when head office opens it from the list (the crawl met a 500: the form's reason is not on the row)
    response = admin_client.get(f"/admin/inventory/variantprice/{entered.pk}/change/")
    # then it is shown, not editable
    assert response.status_code == 200
    assert "129" in response.content.decode()
    assert 'name="reason"' not in response.content.decode()
