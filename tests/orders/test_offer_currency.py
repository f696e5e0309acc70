"""An amount off is in a currency (issue 19.2): "€5 off" never takes 5 zł off a złoty order. It applies
only to orders in its currency, on every channel alike (online checkout, the till, an associate's order);
a percentage applies in every currency. Head office, the portal and the API show the amount with its currency."""

import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from customers.models import Offer, OfferAssignment
from customers.services.loyalty import assign_offer
from customers.services.profiles import update_customer_profile
from orders.errors import OrderError
from orders.models import Order
from orders.services.assisted import AssistedBasket, place_assisted_order
from retail.markets import home_currency
from retail.models import StoreMembership
from retail.services import issue_pos_device
from tests.customers.factories import OfferFactory
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def offers(shopper, poland):
    """€5 off (the home currency), 20 zł off and 10% off, all the shopper's, on every channel."""
    made = {
        "eur5": OfferFactory(code="eur5", name="Five off", discount_percent=None, discount_amount=Decimal("5.00"),
                             currency="EUR"),
        "pln20": OfferFactory(code="pln20", name="Twenty off", discount_percent=None, discount_amount=Decimal("20.00"),
                              currency="PLN"),
        "ten": OfferFactory(code="ten", discount_percent=Decimal("10.00")),
    }  # fmt: skip
    for offer in made.values():
        assign_offer(offer=offer, customer=shopper)
    return made


def checkout(client, *, store_code="WAW-01", offer_code="", key=None):
    return client.post(
        "/api/v1/orders/",
        {
            "channel": "app",
            "lines": [{"sku": "SHIRT-M", "quantity": 1}],
            "fulfillment": {"kind": "pickup", "store": store_code},
            "payments": [{"method": "card", "token": "tok_visa_4242"}],
            "offer_code": offer_code,
        },
        format="json",
        HTTP_IDEMPOTENCY_KEY=key or uuid.uuid4().hex,
    )


def test_home_currency_is_euros_here():
    assert home_currency() == "EUR"  # the tests' settings.CURRENCY: the '€5 off' below is in it


def test_an_amount_off_in_euros_is_refused_on_a_zloty_order_and_nothing_is_used(
    api_client, shopper_user, shopper, shirt_in_poland, offers
):
    api_client.force_authenticate(shopper_user)
    # when the shopper uses "€5 off" on a Warsaw pick-up (129 zł)
    response = checkout(api_client, offer_code="eur5")
    # then refused with the offer's currency named; no order, the offer still unused
    assert response.status_code == 409, response.json()
    body = response.json()
    assert (body["code"], body["currency"]) == ("offer_wrong_currency", "EUR")
    assert "PLN" in body["message"] and "offer_code" in body["fields"]
    assert not Order.objects.exists()
    assert OfferAssignment.objects.get(offer__code="eur5").redeemed_at is None


def test_each_offer_applies_in_its_currency_and_a_percentage_in_every_one(
    api_client, shopper_user, shopper, shirt_in_poland, offers, store
):
    api_client.force_authenticate(shopper_user)
    # when 20 zł off is used in Warsaw, €5 off at home, and 10% off ... in Warsaw too
    pln = checkout(api_client, offer_code="pln20")
    eur = checkout(api_client, store_code=store.code, offer_code="eur5")
    percent = checkout(api_client, offer_code="ten")
    # then each takes its own amount off in the order's currency
    assert pln.status_code == eur.status_code == percent.status_code == 201, (pln.json(), eur.json(), percent.json())
    assert [(r.json()["currency"], r.json()["offer_discount"], r.json()["total"]) for r in (pln, eur, percent)] == [
        ("PLN", "20.00", "109.00"),
        ("EUR", "5.00", "25.00"),
        ("PLN", "12.90", "116.10"),
    ]


def test_twenty_zloty_off_is_refused_on_a_euro_order(api_client, shopper_user, shopper, shirt_in_poland, offers, store):
    api_client.force_authenticate(shopper_user)
    response = checkout(api_client, store_code=store.code, offer_code="pln20")
    assert (response.status_code, response.json()["code"], response.json()["currency"]) == (
        409, "offer_wrong_currency", "PLN",
    )  # fmt: skip


def test_the_till_refuses_an_amount_off_in_another_currency_and_takes_one_in_its_own(
    api_client, shopper, shirt_in_poland, offers, warsaw
):
    # given a till in Warsaw and the shopper's card
    update_customer_profile(customer=shopper, values={"card_number": "OMNI-000777"})
    _, token = issue_pos_device(store=warsaw, name="Kasa 1")
    api_client.credentials(HTTP_AUTHORIZATION=f"Device {token}")

    def sale(number, code, paid):
        return api_client.post("/api/v1/pos/sales/", {
            "receipt_number": number, "lines": [{"sku": "SHIRT-M", "quantity": 1}], "customer": {"card": "OMNI-000777"},
            "offer_code": code, "tenders": [{"method": "card", "amount": paid, "brand": "visa", "last4": "4242"}],
        }, format="json")  # fmt: skip

    # when "€5 off" is scanned for a 129 zł sale
    refused = sale("R-1", "eur5", "124.00")
    # then refused, nothing recorded
    assert (refused.status_code, refused.json()["code"]) == (409, "offer_wrong_currency"), refused.json()
    assert not Order.objects.exists()
    # and 20 zł off takes 20 zł off
    taken = sale("R-2", "pln20", "109.00")
    assert taken.status_code == 201, taken.json()
    assert (taken.json()["currency"], taken.json()["offer_discount"], taken.json()["total"]) == (
        "PLN", "20.00", "109.00",
    )  # fmt: skip


def test_an_associates_order_follows_the_same_rule(shopper, shirt_in_poland, offers, warsaw):
    associate = MembershipFactory(store=warsaw, role=StoreMembership.Role.ASSOCIATE).user

    def place(code):
        return place_assisted_order(
            customer=shopper, store=warsaw, actor=associate, basket=AssistedBasket(lines=[("SHIRT-M", 1)],
            deliver="reserve"), payment="till", placement_key=uuid.uuid4().hex, offer_code=code,
        )  # fmt: skip

    with pytest.raises(OrderError) as caught:
        place("eur5")
    assert (caught.value.code, caught.value.extra["currency"]) == ("offer_wrong_currency", "EUR")
    assert not Order.objects.exists()

    order, _ = place("pln20")
    assert (order.currency, order.offer_discount, order.total) == ("PLN", Decimal("20.00"), Decimal("109.00"))


def test_the_api_lists_offers_with_their_currency(api_client, shopper_user, offers):
    api_client.force_authenticate(shopper_user)
    response = api_client.get("/api/v1/me/offers/")
    by_code = {o["code"]: o for o in response.json()}
    assert (by_code["eur5"]["discount_amount"], by_code["eur5"]["currency"]) == ("5.00", "EUR")
    assert (by_code["pln20"]["discount_amount"], by_code["pln20"]["currency"]) == ("20.00", "PLN")
    assert (by_code["ten"]["discount_percent"], by_code["ten"]["currency"]) == ("10.00", None)


def test_the_schema_says_the_offers_currency(api_client):
    schema = api_client.get("/api/schema/?format=json").json()
    offer = schema["components"]["schemas"]["Offer"]
    assert "currency" in offer["required"]
    assert offer["properties"]["currency"]["nullable"] is True


def test_the_label_shows_the_amount_with_its_currency(offers):
    from django.utils import translation

    with translation.override("en"):
        assert [offers[c].discount_label for c in ("eur5", "pln20", "ten")] == ["€5.00 off", "zł20.00 off", "10% off"]
    with translation.override("pl"):
        assert offers["pln20"].discount_label.startswith("20,00\u00a0zł")
    with translation.override("it"):
        assert offers["eur5"].discount_label.startswith("5,00\u00a0€")


def test_the_clientelling_panel_shows_each_offer_with_its_currency(client, store, shopper, offers):
    from tests.factories import MembershipFactory as Member

    staff = Member(store=store, role=StoreMembership.Role.ASSOCIATE).user
    staff.language = "en"
    staff.save(update_fields=["language"])
    client.force_login(staff)
    html = client.get(f"/portal/customers/{shopper.pk}/offers/").content.decode()
    assert "€5.00 off" in html and "zł20.00 off" in html and "10% off" in html


def test_the_database_refuses_an_amount_off_without_a_currency(shopper):
    from django.db import IntegrityError, transaction

    now = timezone.now()
    with pytest.raises(IntegrityError), transaction.atomic():
        Offer.objects.create(code="bare", name="Bare", discount_amount=Decimal("5"), valid_from=now,
                             valid_until=now + timezone.timedelta(days=1))  # fmt: skip
    with pytest.raises(IntegrityError), transaction.atomic():
        Offer.objects.create(code="pct", name="Pct", discount_percent=Decimal("5"), currency="EUR", valid_from=now,
                             valid_until=now + timezone.timedelta(days=1))  # fmt: skip


@pytest.fixture
def admin_client(client):
    from tests.factories import UserFactory
    from tests.helpers import enrol_totp

    superuser = UserFactory(is_staff=True, is_superuser=True)
    enrol_totp(superuser)
    client.force_login(superuser)
    return client


def offer_form(**values):
    return {
        "code": "spring", "name": "Spring", "description": "", "channels": '["app", "web", "store"]',
        "segment": "all", "requires_email_consent": "on", "is_active": "on",
        "valid_from_0": "2026-01-01", "valid_from_1": "00:00:00", "valid_until_0": "2030-01-01",
        "valid_until_1": "00:00:00", **values,
    }  # fmt: skip


def test_head_office_must_say_the_currency_of_an_amount_off(admin_client, poland):
    # when an amount off is saved without a currency, or with one no market sells in
    missing = admin_client.post("/admin/customers/offer/add/", offer_form(discount_amount="20", currency=""))
    stranger = admin_client.post("/admin/customers/offer/add/", offer_form(discount_amount="20", currency="usd"))
    percent = admin_client.post("/admin/customers/offer/add/", offer_form(discount_percent="10", currency="PLN"))
    # then the form says so, nothing saved
    assert "Say which currency the amount off is in" in missing.content.decode()
    assert "No market sells in USD" in stranger.content.decode()
    assert "A percentage applies in every currency" in percent.content.decode()
    assert not Offer.objects.exists()
    # and typed in small letters, złoty is taken
    saved = admin_client.post("/admin/customers/offer/add/", offer_form(discount_amount="20", currency="pln"))
    assert saved.status_code == 302, saved.content.decode()[:2000]
    assert Offer.objects.get().currency == "PLN"
    # and the list shows the amount in złoty
    assert "zł20.00 off" in admin_client.get("/admin/customers/offer/").content.decode()


def test_the_migration_gives_existing_amounts_off_the_home_currency():
    # given the schema before offers had a currency: an amount off and a percentage
    executor = MigrationExecutor(connection)
    executor.migrate([("customers", "0016_interactionkey_interaction_index")])
    old = executor.loader.project_state([("customers", "0016_interactionkey_interaction_index")]).apps
    OldOffer = old.get_model("customers", "Offer")
    now = timezone.now()
    window = {"valid_from": now, "valid_until": now + timezone.timedelta(days=1), "channels": []}
    OldOffer.objects.create(code="five", name="Five", discount_amount=Decimal("5"), **window)
    OldOffer.objects.create(code="pct", name="Pct", discount_percent=Decimal("5"), **window)
    with connection.cursor() as cursor:  # the inserts' foreign key checks now: an ALTER TABLE refuses pending ones
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    # when
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    # then the amount off is in the home currency, the percentage in none
    assert dict(Offer.objects.values_list("code", "currency")) == {"five": home_currency(), "pct": ""}
