"""A return policy per market (issue 19.2): its windows and its amounts, in the market's currency, judge
the returns of what the market sold, wherever they come back; a market without one is judged by the
home market's, its amounts converted at head office's rate (or, without a rate, a manager approves).
Without a receipt, the returning store's market prices the goods, in its currency, as store credit."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from django.utils import timezone

from customers.models import StoreCreditAccount
from orders.models import Fulfillment, Order
from orders.returns.errors import ReturnError
from orders.returns.models import ReturnPolicy, ReturnRequest
from orders.returns.services import LineRequest, complete_return, start_receiptless_return, start_return
from orders.returns.services.facts import order_market, rules_for_market
from orders.returns.services.policy_admin import save_return_policy
from orders.services import GroupRequest, TenderRequest, hand_over_pickup, mark_ready, place_order, scan_pick
from retail.domain.channel import Channel
from retail.exchange_rates import save_exchange_rate
from retail.markets import home_market
from retail.models import ExchangeRate, Market, StoreMembership
from tests.factories import MarketFactory, MembershipFactory, StoreFactory
from tests.helpers import pickup_proof
from tests.inventory.factories import enter_market_prices
from tests.returns.factories import make_policy

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    from tests.factories import UserFactory
    from tests.helpers import enrol_totp

    superuser = UserFactory(is_staff=True, is_superuser=True)
    enrol_totp(superuser)
    client.force_login(superuser)
    return client


ZL = Decimal


@pytest.fixture
def poland(db) -> Market:
    return MarketFactory(name="Polska")


@pytest.fixture
def warsaw(poland, shirt, coat):
    """A Polish store with a returns desk, its stock and its associate; the shirt and the coat have złoty
    prices (129.99 and 1299.00)."""
    store = StoreFactory(code="WAW-01", name="Warszawa", market=poland, country="PL", accepts_returns=True)
    from inventory import services as inventory

    inventory.receive_stock(location=store, lines=[(shirt, 10), (coat, 3)], reference="PO-PL")
    enter_market_prices(poland, shirt, price="129.99")
    enter_market_prices(poland, coat, price="1299.00")
    return store


@pytest.fixture
def warsaw_associate(warsaw):
    return MembershipFactory(store=warsaw, role=StoreMembership.Role.ASSOCIATE).user


@pytest.fixture
def polish_policy(poland):
    """Poland's own: 14 days in its stores, 30 online, a manager over 1000 zł, 15 zł postage."""
    return make_policy(
        "Polska", market=poland, windows={"store": 14, "web": 30, "app": 30},
        approval_over=ZL("1000.00"), mail_return_fee=ZL("15.00"), receiptless_max_amount=ZL("600.00"),
    )  # fmt: skip


def bought_at(store, associate, shopper, lines, *, channel="store", days_ago=0) -> Order:
    """An order picked up at `store` (so sold in its market), handed over, placed `days_ago`."""
    order = place_order(
        channel=channel,
        groups=[GroupRequest(kind="pickup", lines=lines, store=store)],
        customer=shopper,
        tenders=[TenderRequest(method="card", token="tok_visa_4242")],
        actor=associate if channel == "store" else None,
        store=store if channel == "store" else None,
    )
    fulfillment = order.fulfillments.get()
    for line in fulfillment.lines.all():
        for _ in range(line.quantity):
            scan_pick(fulfillment=fulfillment, code=line.sku, actor=associate, store=store)
    mark_ready(fulfillment=Fulfillment.objects.get(pk=fulfillment.pk), actor=associate, store=store)
    fulfillment = Fulfillment.objects.get(pk=fulfillment.pk)
    hand_over_pickup(fulfillment=fulfillment, actor=associate, store=store, verification="code",
                     collected_by_name=order.contact_name, proof=pickup_proof(fulfillment, "code"))  # fmt: skip
    if days_ago:
        Order.objects.filter(pk=order.pk).update(placed_at=timezone.now() - timedelta(days=days_ago))
    return Order.objects.get(pk=order.pk)


def ask(order, sku, quantity=1, reason="changed_mind"):
    return start_return(
        order=order, lines=[LineRequest(sku=sku, quantity=quantity, reason=reason)], channel=Channel.STORE
    )


def test_a_pln_order_is_judged_by_polands_limit_in_zloty(
    policy, polish_policy, warsaw, warsaw_associate, shopper, shirt, coat
):
    # given a Polish order of 5 shirts (649.95 zł: over the home market's 250, under Poland's 1000) and a coat
    order = bought_at(warsaw, warsaw_associate, shopper, [("SHIRT-M", 5), ("COAT-M", 1)])
    assert order.currency == "PLN"

    # when the shirts come back, and then the coat (1299 zł)
    shirts = ask(order, "SHIRT-M", 5)
    coat_back = ask(order, "COAT-M")

    # then the shirts need no manager; the coat does, and the sentence says so in złoty
    assert (shirts.refund_total, shirts.approval_required, shirts.currency) == (ZL("649.95"), False, "PLN")
    assert coat_back.approval_required
    over = next(s for s in coat_back.summary if "is over" in s)
    assert "zł" in over and "€" not in over


def test_a_eur_order_keeps_the_home_markets_limit(policy, polish_policy, deliver, coat):
    # given a coat bought in the home market (320 €: over its 250)
    order = deliver([("COAT-M", 1)])
    assert order.currency == "EUR"

    # when it comes back
    back = ask(order, "COAT-M")

    # then the home policy's limit in euros asks for a manager (Poland's 1000 is not the home market's)
    assert back.approval_required and back.currency == "EUR"
    over = next(s for s in back.summary if "is over" in s)
    assert "€" in over and "250" in over


def test_the_window_is_the_selling_markets(policy, polish_policy, deliver, warsaw, warsaw_associate, shopper, shirt):
    # given a shirt bought 20 days ago over a counter in each market: home gives 28 days, Poland 14
    at_home = deliver([("SHIRT-M", 1)], channel="store", days_ago=20)
    in_poland = bought_at(warsaw, warsaw_associate, shopper, [("SHIRT-M", 1)], days_ago=20)

    # when both come back
    home_back, polish_back = ask(at_home, "SHIRT-M"), ask(in_poland, "SHIRT-M")

    # then the home one is within its window, the Polish one is past Poland's
    assert not home_back.approval_required
    assert polish_back.approval_required
    assert "within 14 days" in polish_back.lines.get().explanation


def test_an_order_bought_in_poland_returned_in_another_market_keeps_polands_policy_and_zloty(
    policy, polish_policy, warsaw, warsaw_associate, shopper, shirt, store, associate
):
    # given 5 shirts bought in Warsaw (649.95 zł), brought to the home market's store (euros, manager over 250)
    order = bought_at(warsaw, warsaw_associate, shopper, [("SHIRT-M", 5)])

    # when the home store takes them back as store credit
    back = complete_return(
        store=store, actor=associate, refund_method="store_credit", order=order,
        lines=[LineRequest(sku="SHIRT-M", quantity=5, reason="changed_mind")],
    )  # fmt: skip

    # then Poland's limit judged it (no manager), and the credit is in złoty
    assert (back.refund_total, back.currency, back.approval_required) == (ZL("649.95"), "PLN", False)
    account = StoreCreditAccount.objects.get(customer=shopper)
    assert (account.balance, account.currency) == (ZL("649.95"), "PLN")


def test_a_market_without_a_policy_uses_the_home_one_at_head_offices_rate(poland, policy):
    # given 1 PLN = 0.25 EUR from a week ago
    rate = ExchangeRate(currency="PLN", rate=Decimal("0.25"), valid_from=timezone.localdate() - timedelta(days=7))
    save_exchange_rate(rate=rate, actor=None)

    # when Poland, without a policy, is judged
    rules = rules_for_market(poland)

    # then the home policy's windows, its amounts in złoty, and it says so
    assert rules.windows == policy.windows_by_channel()
    assert (rules.currency, rules.approval_over, rules.mail_return_fee) == ("PLN", ZL("1000.00"), ZL("15.80"))
    assert rules.receiptless_max_amount == ZL("600.00")
    assert "Polska has no return policy of its own" in rules.note and "0.25 EUR to 1 PLN" in rules.note


def test_without_a_rate_the_home_amounts_are_not_guessed_a_manager_approves(
    poland, policy, warsaw, warsaw_associate, shopper, shirt
):
    # given no policy for Poland and no złoty rate
    order = bought_at(warsaw, warsaw_associate, shopper, [("SHIRT-M", 1)])

    # when a shirt comes back
    back = ask(order, "SHIRT-M")

    # then a manager approves it, and the shopper is told why; the window is still the home one
    assert back.approval_required
    assert "cannot be stated in PLN without an exchange rate" in back.summary[0]
    assert "within 28 days" in back.lines.get().explanation
    assert rules_for_market(poland).mail_return_fee == ZL("0.00")  # no postage of unknown size


def test_the_order_market_is_its_stores_and_costs_no_query_when_read_with_it(
    poland, warsaw, warsaw_associate, shopper, shirt, django_assert_num_queries
):
    order = bought_at(warsaw, warsaw_associate, shopper, [("SHIRT-M", 1)])
    loaded, plain = Order.objects.select_related("store__market").get(pk=order.pk), Order.objects.get(pk=order.pk)
    with django_assert_num_queries(0):
        assert order_market(loaded) == poland
    with django_assert_num_queries(1):
        assert order_market(plain) == poland


def test_a_market_has_one_active_policy_and_another_market_keeps_its_own(policy, poland, polish_policy):
    # when head office activates a new Polish policy
    summer = save_return_policy(policy=ReturnPolicy(name="Lato", market=poland), actor=None)

    # then Poland's old one is retired, the home market's stays in force
    polish_policy.refresh_from_db()
    policy.refresh_from_db()
    assert (summer.is_active, polish_policy.is_active, policy.is_active) == (True, False, True)
    # and the database refuses a second active one in a market
    with pytest.raises(IntegrityError), transaction.atomic():
        ReturnPolicy.objects.filter(pk=polish_policy.pk).update(is_active=True)


# --------------------------------------------------------------------------- receipt-less


def test_a_receiptless_return_in_a_polish_store_is_priced_and_credited_in_zloty(
    policy, polish_policy, warsaw, warsaw_associate, shopper, shirt
):
    # when a shirt comes back to Warsaw without a receipt (129.99 zł there; 30.00 € in the catalog)
    back = complete_return(
        store=warsaw, actor=warsaw_associate, refund_method="store_credit", customer=shopper,
        lines=[LineRequest(sku="SHIRT-M", quantity=1, reason="changed_mind")],
    )  # fmt: skip

    # then it is credited at Poland's price, in złoty, and the line says so
    assert (back.receiptless, back.currency, back.refund_total) == (True, "PLN", ZL("129.99"))
    line = back.lines.get()
    assert line.unit_basis == ZL("129.99") and "zł" in line.explanation and "€" not in line.explanation
    account = StoreCreditAccount.objects.get(customer=shopper)
    assert (account.balance, account.currency) == (ZL("129.99"), "PLN")
    # and Poland's receipt-less limit (600 zł) is the one counted
    assert any("600,00" in s or "600.00" in s for s in back.summary)


def test_a_receiptless_return_takes_the_lowest_recent_price_paid_in_the_markets_currency(
    policy, polish_policy, warsaw, warsaw_associate, shopper, shirt, deliver
):
    # given the shirt sold in the home market at 30.00 € (a lower number, another currency) and in Poland at
    # 119.99 zł last week, now 129.99 zł
    deliver([("SHIRT-M", 1)])
    enter_market_prices(warsaw.market, shirt, price="119.99")
    bought_at(warsaw, warsaw_associate, shopper, [("SHIRT-M", 1)])
    enter_market_prices(warsaw.market, shirt, price="129.99")

    # when one comes back to Warsaw without a receipt
    back = start_receiptless_return(
        customer=shopper, store=warsaw, lines=[LineRequest(sku="SHIRT-M", quantity=1, reason="changed_mind")]
    )

    # then it is credited at the lowest złoty price, never at the euro number
    assert back.refund_total == ZL("119.99")


def test_a_sku_the_market_does_not_sell_cannot_come_back_without_a_receipt_there(policy, warsaw, shopper, jeans):
    # the jeans have no złoty price: nothing to credit them at in Poland
    with pytest.raises(ReturnError) as error:
        start_receiptless_return(
            customer=shopper, store=warsaw, lines=[LineRequest(sku="JEANS-32", quantity=1, reason="changed_mind")]
        )
    assert error.value.code == "not_sold_in_market" and "JEANS-32" in error.value.message


def test_a_receiptless_credit_in_zloty_is_refused_on_a_euro_balance(
    policy, polish_policy, warsaw, warsaw_associate, shopper, shirt, store, associate
):
    # given the shopper holds euro store credit from a home-market receipt-less return
    complete_return(
        store=store, actor=associate, refund_method="store_credit", customer=shopper,
        lines=[LineRequest(sku="SHIRT-M", quantity=1, reason="changed_mind")],
    )  # fmt: skip

    # when Warsaw would credit złoty
    with pytest.raises(ReturnError) as error:
        complete_return(
            store=warsaw, actor=warsaw_associate, refund_method="store_credit", customer=shopper,
            lines=[LineRequest(sku="SHIRT-M", quantity=1, reason="changed_mind")],
        )  # fmt: skip

    # then the currencies are never mixed
    assert error.value.code == "store_credit_wrong_currency"
    assert StoreCreditAccount.objects.get(customer=shopper).currency == "EUR"


def test_a_policy_made_without_a_market_is_the_home_markets(policy):
    assert policy.market == home_market() and policy.currency == "EUR"


@pytest.mark.django_db(transaction=True)
def test_the_migration_makes_the_policies_the_home_markets_and_gives_returns_their_currency():
    # given the schema before policies per market: the active policy and a retired one, and a receipt-less
    # return at a Polish store
    executor = MigrationExecutor(connection)
    executor.migrate([("returns", "0012_shipping_refund")])
    old = executor.loader.project_state([("returns", "0012_shipping_refund")]).apps
    OldPolicy, OldWindow = old.get_model("returns", "ReturnPolicy"), old.get_model("returns", "ReturnWindow")
    OldReturn = old.get_model("returns", "ReturnRequest")
    active = OldPolicy.objects.create(name="Standard", is_active=True, approval_over=Decimal("250.00"))
    OldWindow.objects.create(policy=active, channel="store", days=21)
    OldPolicy.objects.create(name="Last year", is_active=False)
    warsaw = StoreFactory(code="WAW-01", market=MarketFactory(), country="PL")
    now = timezone.now()
    OldReturn.objects.create(rma_number="RMA-AAAA-AAAA", qr_token="a" * 32, receiptless=True, channel="store",
                             started_store_id=warsaw.pk, created_at=now, updated_at=now)  # fmt: skip

    # when
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    # then both policies are the home market's, the active one judges as before, in the home currency
    home = home_market()
    assert set(ReturnPolicy.objects.values_list("market", flat=True)) == {home.pk}
    rules = rules_for_market(home)
    assert (rules.approval_over, rules.windows, rules.currency) == (Decimal("250.00"), {"store": 21}, home.currency)
    # and the receipt-less return is in the currency of the store it came back to
    assert ReturnRequest.objects.get().currency == "PLN"


# --------------------------------------------------------------------------- where people see it


def test_the_api_gives_the_returns_currency_and_its_limits_in_it(
    api_client, shopper_user, policy, polish_policy, warsaw, warsaw_associate, shopper, shirt, coat
):
    # given a coat bought in Warsaw (1299 zł: over Poland's 1000)
    order = bought_at(warsaw, warsaw_associate, shopper, [("COAT-M", 1)], channel="web")
    api_client.force_authenticate(shopper_user)

    # when the shopper starts its return in the app
    response = api_client.post(
        "/api/v1/returns/",
        {"order_number": order.number, "channel": "app", "lines": [{"sku": "COAT-M", "quantity": 1, "reason": "late"}]},
        format="json",
        HTTP_IDEMPOTENCY_KEY="pl-1",
    )

    # then the amounts are said to be złoty, and the limit is Poland's, in złoty
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["currency"], data["refund_total"], data["approval_required"]) == ("PLN", "1299.00", True)
    over = next(s for s in data["summary"] if "is over" in s)
    assert "zł" in over and "€" not in over


def test_the_desk_in_a_polish_store_previews_a_receiptless_return_in_zloty(
    client, policy, polish_policy, warsaw, warsaw_associate, shopper, shirt
):
    client.force_login(warsaw_associate)
    response = client.post(
        reverse("returns_portal:receiptless-preview", args=[shopper.pk]),
        {"sku_0": "SHIRT-M", "qty_0": "1", "reason_0": "changed_mind", "condition_0": "new"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "zł" in page and "€" not in page
    assert "129" in page


def test_head_office_edits_a_policy_per_market_and_sees_its_limit_in_its_currency(admin_client, policy, poland):
    from tests.returns.test_admin import NEW_WINDOWS, policy_form

    # when head office adds Poland's policy in the admin
    data = policy_form(name="Zwroty", market=str(poland.pk), approval_over="1000.00") | NEW_WINDOWS
    response = admin_client.post("/admin/returns/returnpolicy/add/", data)

    # then Poland has it, the home market keeps its own, and the list shows each limit in its currency
    assert response.status_code == 302
    policy.refresh_from_db()
    assert policy.is_active and ReturnPolicy.objects.get(name="Zwroty", is_active=True).market == poland
    listing = admin_client.get("/admin/returns/returnpolicy/").content.decode()
    assert "zł" in listing and "€" in listing


def test_the_desk_and_the_shoppers_panel_list_a_polish_return_in_zloty(
    client, associate, policy, polish_policy, warsaw, warsaw_associate, shopper, shirt, store
):
    # given a shirt bought in Warsaw (129.99 zł), on its way back to the home market's store
    order = bought_at(warsaw, warsaw_associate, shopper, [("SHIRT-M", 1)], channel="web")
    start_return(
        order=order, lines=[LineRequest(sku="SHIRT-M", quantity=1, reason="wrong_size")], channel="app", store=store
    )
    client.force_login(associate)

    # when that store's desk and the shopper's returns panel are shown
    desk = client.get(reverse("returns_portal:desk")).content.decode()
    panel = client.get(reverse("returns_portal:customer-returns", args=[shopper.pk])).content.decode()

    # then the amount is in złoty on both, never in euros
    for page in (desk, panel):
        assert "129" in page and "zł" in page and "€" not in page


def test_a_policys_amounts_are_labelled_with_its_markets_currency_in_the_admin(admin_client, polish_policy):
    page = admin_client.get(f"/admin/returns/returnpolicy/{polish_policy.pk}/change/").content.decode()
    assert page.count("In PLN (Polska).") == 4


def test_a_market_in_the_home_currency_without_a_policy_takes_the_home_one_as_it_is(policy):
    # given a second euro market with no policy of its own
    austria = MarketFactory(code="at", name="Österreich", countries=["AT"], currency="EUR", default_language="it")

    # when it is judged
    rules = rules_for_market(austria)

    # then by the home policy's numbers, no rate needed, and it says whose policy it is
    assert (rules.currency, rules.approval_over, rules.mail_return_fee) == ("EUR", ZL("250.00"), ZL("3.95"))
    assert rules.note.startswith("Österreich has no return policy of its own")


def test_an_order_keeps_its_market_when_its_store_moves_to_another(
    poland, warsaw, warsaw_associate, shopper, shirt, store
):
    # given a złoty web order collected in Warsaw, then Warsaw's store moved into the home market (euros)
    order = bought_at(warsaw, warsaw_associate, shopper, [("SHIRT-M", 1)], channel="web")
    warsaw.market = store.market
    warsaw.save(update_fields=["market"])

    # then the order was still sold in Poland: the market that sells in its currency on its channel
    assert order_market(Order.objects.get(pk=order.pk)) == poland
