"""The demo seed: orders on every channel, pick-ups in every state per store, ledgers intact."""

from decimal import Decimal

import pytest
from django.core.management import call_command

from customers.models import Customer
from inventory.models import Product, ProductTranslation
from orders.errors import OrderError
from orders.models import Fulfillment, Order, OrderLine, ShippingMethod
from retail.domain.money import money
from retail.models import ExchangeRate, Market, OutboxMessage, Store, User

pytestmark = pytest.mark.django_db


def test_the_demo_seed_gives_history_and_open_pickups_and_keeps_the_stock_ledger(capsys):
    # when the whole demo is seeded (tiny scale)
    call_command("seed_demo", "--seed", "7", "--scale", "tiny")
    # then there are orders on every channel
    assert set(Order.objects.values_list("channel", flat=True)) == {"app", "web", "store", "phone", "kiosk"}
    # and every pick-up store has pick-ups to pick, picking, ready, overdue-to-pick, past hold and expired
    for store in Store.objects.filter(kind="store", pickup_enabled=True):
        statuses = set(
            Fulfillment.objects.filter(location=store, kind__in=["pickup", "curbside"]).values_list("status", flat=True)
        )
        assert {"placed", "picking", "ready", "expired", "cancelled", "collected"} <= statuses, store.code
    # and two assisted orders show the endless aisle: one waiting for the till, one paid by link
    from orders.models import PaymentRequest

    requests = {r.method: r for r in PaymentRequest.objects.select_related("order")}
    assert (requests["till"].status, requests["link"].status) == ("pending", "paid")
    assert all(r.order.seller_id for r in requests.values())
    # and a saved cart sent to a shopper, its message held back as the demo's are
    from orders.models import SavedCart

    assert SavedCart.objects.get().status == "sent"
    assert not OutboxMessage.objects.filter(topic="orders.saved_cart").exists()
    # and the stock ledger still explains every level
    call_command("verify_stock_ledger")
    assert "Every stock level equals the sum of its ledger" in capsys.readouterr().out
    # and the chain sells in Italy, Poland and the UK, with their currencies, languages and tax rates
    markets = {m.code: m for m in Market.objects.prefetch_related("tax_rates")}
    assert {code: (m.currency, m.default_language, m.is_home) for code, m in markets.items()} == {
        "it": ("EUR", "it", True),
        "pl": ("PLN", "pl", False),
        "uk": ("GBP", "en-gb", False),
    }
    assert sorted(r.rate for r in markets["pl"].tax_rates.all()) == [Decimal(5), Decimal(8), Decimal(23)]
    assert Store.objects.get(code="MIL-01").time_zone == "Europe/Rome"
    assert Store.objects.get(code="WAW-01").market.code == "pl"
    # and its shoppers read their market's language
    languages = set(Customer.objects.filter(home_store__market__code="pl").values_list("language", flat=True))
    assert languages == {"pl"}
    # and the catalog has Italian and Polish texts
    assert ProductTranslation.objects.filter(language="it").count() == Product.objects.count()
    # with the bed sizes named (the clothes' sizes are codes): a Polish reader sees "Dwuosobowy", not "Double"
    named = ProductTranslation.objects.filter(language="pl", sizes__has_key="Double").first()
    assert named and named.sizes["Double"] == "Dwuosobowy"
    assert not ProductTranslation.objects.filter(sizes__has_key="M").exists()
    # and an open pick-up's promise is the one made when it was placed (the seed back-dates its orders: one
    # placed at 12:18 and overdue read "promised for 18:20")
    from retail.promise import collect_promise

    waiting = Fulfillment.objects.filter(kind="pickup", status="placed").select_related("order", "location")
    assert waiting and all(f.promised_at == collect_promise(f.location, f.order.placed_at) for f in waiting)
    # and a tier's spend counts each currency apart, converted to the home market's euros (a London shopper's
    # 63.99 GBP read as 63.99 EUR)
    from customers.models import LoyaltyAccount

    gbp = ExchangeRate.objects.get(currency="GBP").rate
    london = [
        a for a in LoyaltyAccount.objects.filter(spend_12m__gt=0) if set(a.spend_detail["by_currency"]) == {"GBP"}
    ]
    assert london and all(a.spend_detail["currency"] == "EUR" for a in london)
    assert all(a.spend_12m == money(Decimal(a.spend_detail["by_currency"]["GBP"]) * gbp, "EUR") for a in london)


@pytest.mark.parametrize(
    ("login", "language", "words"),
    [
        ("associate.mil01@omnistore.local", "it", ["Bacheca", "Camicia"]),
        ("associate.waw01@omnistore.local", "pl", ["Pulpit", "Koszula"]),
        ("associate.lon01@omnistore.local", "en-gb", ["Dashboard", "shirt"]),
    ],
)
def test_the_demos_italian_polish_and_english_associates_read_their_language(client, login, language, words):
    # given the demo chain (its stores and catalog)
    steps = ("stores-and-staff", "shipping", "catalog-and-stock")
    call_command("seed_demo", "--seed", "7", "--scale", "tiny", "--only", *steps)
    user = User.objects.get(email=login)
    assert user.language == language
    # (head office's reports in euros convert the złoty and the pound)
    assert set(ExchangeRate.objects.values_list("currency", "reporting_currency")) == {("GBP", "EUR"), ("PLN", "EUR")}
    # (and each market ships home its own ways, in its currency's amounts)
    methods = set(ShippingMethod.objects.values_list("market__code", "code"))
    assert methods == {("it", "standard"), ("it", "express"), ("pl", "paczkomat"), ("pl", "kurier"),
                       ("uk", "standard"), ("uk", "next-day")}  # fmt: skip

    # when they sign in and look a shirt up
    client.force_login(user)
    dashboard = client.get("/portal/")
    lookup = client.get("/portal/stock/", {"q": {"it": "camicia", "pl": "koszula"}.get(language, "shirt")})

    # then
    assert dashboard["Content-Language"] == language
    text = dashboard.text + lookup.text
    assert all(word in text for word in words), [w for w in words if w not in text]


def test_seeded_orders_pickups_and_returns_can_be_worked_like_real_ones():
    """What the demo shows must work when an associate acts on it (a seeded reference is a real one)."""
    from datetime import timedelta

    from django.utils import timezone

    from orders import services
    from orders.models import Payment
    from orders.returns.models import ReturnRequest
    from orders.returns.services import LineRequest, complete_return, receive_return, refund_return
    from retail.models import StoreMembership
    from tests.helpers import pickup_proof

    call_command("seed_demo", "--seed", "7", "--scale", "tiny")
    # given a seeded online order paid by card through the test provider, inside the return window
    payment = (
        Payment.objects.filter(provider="test", status="captured", order__status="completed", order__channel="web")
        .filter(order__placed_at__gte=timezone.now() - timedelta(days=25), order__returns__isnull=True)
        .select_related("order__store")
        .order_by("-order__placed_at")
        .first()
    )
    assert payment is not None and payment.reference.startswith("test_")
    order = payment.order
    desk = Store.objects.filter(kind="store", accepts_returns=True).order_by("code").first()
    associate = StoreMembership.objects.filter(store=desk).order_by("role").first().user
    line = order.lines.order_by("line_number").first()
    # when it is returned at a desk with a refund to the original payment
    request = complete_return(
        store=desk,
        actor=associate,
        refund_method="original",
        order=order,
        lines=[LineRequest(line_number=line.line_number, quantity=1, reason="changed_mind", condition="new")],
    )
    # then the card is refunded through the provider
    request.refresh_from_db()
    assert request.status == "refunded" and request.refunded_to_tenders > 0
    # and a seeded open return can be received and refunded
    open_return = ReturnRequest.objects.filter(status="requested", order__isnull=False).order_by("pk").first()
    assert open_return is not None
    store = open_return.store or desk
    staff = StoreMembership.objects.filter(store=store).order_by("role").first().user
    received = receive_return(return_request=open_return, store=store, actor=staff)
    done = refund_return(return_request=received, store=store, actor=staff, method="store_credit")
    assert done.status == "refunded"
    # and a seeded pick-up to pick is picked, made ready and handed over against its code
    f = Fulfillment.objects.filter(kind="pickup", status="placed").select_related("location").order_by("pk").first()
    picker = StoreMembership.objects.filter(store=f.location).order_by("role").first().user
    for line in f.lines.all():
        for _ in range(line.quantity):
            services.scan_pick(fulfillment=f, code=line.sku, actor=picker, store=f.location)
    f = services.mark_ready(fulfillment=f, actor=picker, store=f.location)
    f = services.hand_over_pickup(
        fulfillment=f,
        actor=picker,
        store=f.location,
        verification="code",
        collected_by_name=f.order.contact_name,
        proof=pickup_proof(f, "code"),
    )
    assert f.status == "collected"
    # and another one can be shorted and sent from the nearest store
    f = Fulfillment.objects.filter(kind="pickup", status="placed").select_related("location").order_by("pk").first()
    line = f.lines.order_by("line_number").first()
    picker = StoreMembership.objects.filter(store=f.location).order_by("role").first().user
    try:
        services.short_pick(line=line, missing=line.quantity, resolution="reroute", actor=picker, store=f.location)
    except OrderError as exc:  # no other store stocks that SKU: cancelling is the associate's answer
        assert exc.code in ("no_route", "insufficient_stock")
        services.short_pick(line=line, missing=line.quantity, resolution="cancel", actor=picker, store=f.location)
    assert OrderLine.objects.filter(pk=line.pk).exists()


def test_the_demos_clienteling_texts_are_in_the_language_of_the_shoppers_store():
    # issue 19.6: Milan's and Warsaw's associates wrote their notes, tasks and lists in English
    from customers.models import CustomerList, Note, Task
    from customers.seed import CLIENTELING_TEXTS

    # when the demo is seeded
    call_command("seed_demo", "--seed", "7", "--scale", "tiny")
    english = CLIENTELING_TEXTS["en"]
    for code, language in (("WAW-01", "pl"), ("MIL-01", "it")):
        texts = CLIENTELING_TEXTS[language]
        notes = list(Note.objects.filter(customer__home_store__code=code).values_list("body", flat=True))
        tasks = list(Task.objects.filter(customer__home_store__code=code).values_list("title", flat=True))
        lists = list(
            CustomerList.objects.filter(customer__home_store__code=code, kind="wishlist").values_list("name", flat=True)
        )
        # then its shoppers' notes, tasks and wishlists are in the store's language, not in English
        assert lists and notes + tasks, code
        assert set(lists) == {texts["wishlist"]}, code
        assert set(notes) <= set(texts["notes"]) and not set(notes) & set(english["notes"]), code
        assert set(tasks) <= set(texts["tasks"].values()), code
        assert not set(tasks) & set(english["tasks"].values()), code
    # e.g. a Warsaw shopper's wishlist reads "Lista życzeń" and a Milan one's "Lista dei desideri"
    assert CustomerList.objects.filter(customer__home_store__code="WAW-01", name="Lista życzeń").exists()
    assert CustomerList.objects.filter(customer__home_store__code="MIL-01", name="Lista dei desideri").exists()
    # and the UK stores keep the English texts
    london = Note.objects.filter(customer__home_store__market__code="uk").values_list("body", flat=True)
    assert london and set(london) <= set(english["notes"])
    # and the tiers and offers are named in Italian and Polish for Milan's and Warsaw's readers
    from django.utils import translation

    from customers.models import LoyaltyTier, Offer

    gold, weekend = LoyaltyTier.objects.get(code="gold"), Offer.objects.get(code="gold20")
    with translation.override("it"):
        assert (gold.display_name, weekend.display_name) == ("Oro", "Weekend Oro: 20% di sconto")
    with translation.override("pl"):
        assert (gold.display_name, weekend.display_name) == ("Złoty", "Złoty weekend: 20% zniżki")
    assert all(set(tier.translations) == {"it", "pl"} for tier in LoyaltyTier.objects.all())


def test_the_demos_timeline_reads_in_the_language_of_the_shoppers_store():
    # issue 19.1: the timeline's sentences were English f-strings, and a seeded cancellation's reason too
    from django.utils import translation

    from customers.models import Interaction
    from orders.seed import TYPED
    from retail.messages import word

    # when the demo is seeded
    call_command("seed_demo", "--seed", "7", "--scale", "tiny")
    for code, language in (("WAW-01", "pl"), ("MIL-01", "it")):
        rows = list(Interaction.objects.filter(store__code=code).exclude(data__msg=None).values_list("data", "subject"))
        # then what the services told the timeline there is stored as sentences its readers word in their language
        assert rows, code
        with translation.override(language):
            worded = [word(data["msg"]) for data, _subject in rows]
        assert all(worded) and not set(worded) & {subject for _data, subject in rows}, code
        # and a shopper's seeded reason to cancel is typed in the store's language
        messages = [data["msg"] for data, _subject in rows]
        reasons = {m["params"]["reason"] for m in messages if m["key"] == "orders.cancelled_because"}
        assert reasons == {TYPED[language]["cancel"]}, code
