"""Row makers for every model registered in the admin: `ROWS[label](n)` adds n rows that fill the
changelist's columns (foreign keys set, so a missing select_related shows as extra queries)."""

import secrets
from datetime import date, timedelta
from decimal import Decimal

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.contrib.auth.models import Group
from django.utils import timezone

from customers.models import LoyaltyAccount, Tag
from customers.services import earn_points, issue_store_credit, merge_customers
from inventory import pricing
from inventory import services as stock
from inventory.market_prices import ListPrice, set_list_prices
from inventory.models import PriceList, Product
from inventory.operations import request_transfer, start_stock_count
from orders.handlers import NOTIFY_TOPIC
from orders.models import Carrier, Cart, Notification, ShippingMethod
from orders.returns.models import ReturnPolicy
from retail.models import ExchangeRate, IdempotencyKey, Market, TaxClass, TaxRate
from retail.services import enqueue_outbox_message, issue_pos_device, record_audit_event
from tests.customers.factories import CustomerFactory, InteractionFactory, OfferFactory, TierFactory
from tests.factories import MembershipFactory, StoreFactory, UserFactory, WarehouseFactory
from tests.insights.conftest import make_order, make_return
from tests.inventory.factories import CategoryFactory, ProductFactory, VariantFactory

_ = range


def _tier():
    spend = Decimal(secrets.randbelow(10**6)) / 100
    return TierFactory(code=f"t{secrets.token_hex(3)}", name="Tier", min_spend=spend)


def _stocked(n):
    store = StoreFactory()
    variants = [VariantFactory() for _ in range(n)]
    stock.receive_stock(location=store, lines=[(v, 5) for v in variants], reference="PO-1")
    return store, variants


def _levels(n):
    _stocked(n)


def _reservations(n):
    store, variants = _stocked(n)
    for i, variant in enumerate(variants):
        stock.reserve_stock(lines=[(variant, 1)], location=store, reference=f"r-{secrets.token_hex(4)}-{i}")


def _transfers(n):
    source, variants = _stocked(2)
    for _ in range(n):
        request_transfer(from_location=source, to_location=StoreFactory(), lines=[(variants[0], 1)],
                         actor=UserFactory())  # fmt: skip


def _price_changes(n):
    products = [VariantFactory(price_override=Decimal("10.00")).product for _ in range(n)]
    pricing.change_prices(
        products=Product.objects.filter(pk__in=[p.pk for p in products]), percent=5, reason="r", actor=UserFactory()
    )


def _price_schedules(n):
    for _ in range(n):
        product = VariantFactory(price_override=Decimal("10.00")).product
        pricing.schedule_price_change(
            products=Product.objects.filter(pk=product.pk), percent=-10, name="Sale", reason="r",
            starts_at=timezone.now() + timedelta(days=1), actor=UserFactory(),
        )  # fmt: skip


def _price_lists(n):
    for _ in range(n):
        PriceList.objects.create(code=f"m-{secrets.token_hex(3)}", name="Market", currency="GBP")


def _variant_prices(n):
    price_list = PriceList.objects.create(code=f"m-{secrets.token_hex(3)}", name="Market", currency="GBP")
    set_list_prices(price_list=price_list, prices=[ListPrice(VariantFactory(), Decimal("9.99")) for _ in range(n)],
                    reason="r", actor=UserFactory())  # fmt: skip


def _counts(n):
    for _ in range(n):
        start_stock_count(location=StoreFactory(), actor=UserFactory())


def _customers(n):
    tier = TierFactory()
    for _ in range(n):
        customer = CustomerFactory(home_store=StoreFactory(), assigned_associate=UserFactory())
        earn_points(customer=customer, reference=f"o-{customer.pk}", points=10)
        LoyaltyAccount.objects.filter(customer=customer).update(tier=tier)


def _points(n):
    for _ in range(n):
        earn_points(customer=CustomerFactory(), reference=f"o-{secrets.token_hex(4)}", points=5, actor=UserFactory())


def _credit(n):
    for _ in range(n):
        issue_store_credit(customer=CustomerFactory(), amount=Decimal("5.00"), reference=secrets.token_hex(4),
                           actor=UserFactory(), store=StoreFactory())  # fmt: skip


def _gift_cards(n):
    from customers.services.giftcards import issue_gift_card, redeem_gift_card

    for _ in range(n):
        issued = issue_gift_card(amount=Decimal("50.00"), source="goodwill", reference=secrets.token_hex(6),
                                 customer=CustomerFactory(), actor=UserFactory(), reason="test")  # fmt: skip
        redeem_gift_card(code=issued.code, amount=Decimal("5.00"), reference=secrets.token_hex(4), caller="admin",
                         actor=UserFactory(), store=StoreFactory())  # fmt: skip


def _merges(n):
    for _ in range(n):
        merge_customers(source=CustomerFactory(), target=CustomerFactory(), actor=UserFactory(), reason="test")


def _orders(n):
    for _ in range(n):
        make_order(store=StoreFactory(), channel="web", placed_at=timezone.now(), total="10.00",
                   customer=CustomerFactory())  # fmt: skip


def _carts(n):
    for _ in range(n):
        Cart.objects.create(customer=CustomerFactory(), built_by=UserFactory(), built_in_store=StoreFactory(),
                            created_at=timezone.now(), updated_at=timezone.now())  # fmt: skip


def _notifications(n):
    for i in range(n):
        order = make_order(store=StoreFactory(), channel="app", placed_at=timezone.now(), total="5.00")
        Notification.objects.create(subject=order, reference=order.number, kind="ready", channel="email",
                                    recipient="a@example.com",
                                    status="sent", message_key=f"outbox:{i}-{order.pk}",
                                    created_at=timezone.now())  # fmt: skip


def _returns(n):
    for _ in range(n):
        store = StoreFactory()
        order = make_order(store=store, channel="store", placed_at=timezone.now(), total="20.00",
                           customer=CustomerFactory())  # fmt: skip
        make_return(store=store, received_at=timezone.now(), lines=[("changed_mind", 1, "20.00")], order=order,
                    refund_method="original", refund_total="20.00")  # fmt: skip


def _idempotency(n):
    now = timezone.now()
    for _ in range(n):
        IdempotencyKey.objects.create(scope="user:1", key=secrets.token_hex(8), method="POST", path="/api/v1/x/",
                                      request_hash="0" * 64, created_at=now,
                                      expires_at=now + timedelta(days=1))  # fmt: skip


def _subscriptions(n):
    from webhooks.models import Subscription
    from webhooks.services import new_secret

    now = timezone.now()
    return Subscription.objects.bulk_create(
        Subscription(name=f"Hook {i}", url=f"https://hooks.example.com/{secrets.token_hex(4)}",
                     event_types=["order.placed"], secret_encrypted=new_secret(), secret_hint="abcd",
                     created_at=now, created_by=UserFactory())
        for i in range(n)
    )  # fmt: skip


def _deliveries(n):
    from webhooks.delivery import record_answer
    from webhooks.destinations import Answer
    from webhooks.events import record_event
    from webhooks.models import Delivery

    subscription = _subscriptions(1)[0]
    now = timezone.now()
    for _ in range(n):
        event = record_event(type="customer.created", data={"customer": {"id": 1}})
        row = Delivery.objects.create(subscription=subscription, event=event, next_attempt_at=now, created_at=now)
        record_answer(delivery=row, answer=Answer(True, 200, 12, "ok", ""))


def _events(n):
    from webhooks.events import record_event

    for i in range(n):
        record_event(type="customer.created", data={"customer": {"id": i}}, key=f"customer:{i}")


def _exchange_rates(n):
    # one currency, day after day: two rates never cover one day (the exclusion constraint)
    first = date(2026, 1, 1) + timedelta(days=ExchangeRate.objects.count())
    return [
        ExchangeRate.objects.create(currency="PLN", reporting_currency="EUR", rate=Decimal("0.2315"),
                                    valid_from=first + timedelta(days=i), valid_to=first + timedelta(days=i + 1))
        for i in range(n)
    ]  # fmt: skip


def _shipping_methods(n):
    code = secrets.token_hex(3)
    market = Market.objects.create(code=f"m-{code}", name="Market", currency="PLN", default_language="pl")
    carrier = Carrier.objects.create(code=f"c-{secrets.token_hex(3)}", name="Carrier",
                                     tracking_url="https://track.example/{number}")  # fmt: skip
    return [
        ShippingMethod.objects.create(
            market=market, code=f"s-{i}", name="Standard", carrier=carrier, price=Decimal("9.99")
        )
        for i in range(n)
    ]


ROWS = {
    "auth.Group": lambda n: [Group.objects.create(name=f"group-{secrets.token_hex(4)}") for _ in range(n)],
    "account.EmailAddress": lambda n: [
        EmailAddress.objects.create(user=(u := UserFactory()), email=u.email, verified=True, primary=True)
        for _ in range(n)
    ],
    "mfa.Authenticator": lambda n: [
        Authenticator.objects.create(user=UserFactory(), type=Authenticator.Type.TOTP, data={}) for _ in range(n)
    ],
    "retail.User": lambda n: [UserFactory() for _ in range(n)],
    "retail.Store": lambda n: [StoreFactory() for _ in range(n)] + [WarehouseFactory()],
    "retail.Market": lambda n: [
        Market.objects.create(code=f"m-{secrets.token_hex(3)}", name="Market", currency="PLN", default_language="pl")
        for _ in range(n)
    ],
    "retail.ExchangeRate": _exchange_rates,
    "orders.Carrier": lambda n: [
        Carrier.objects.create(
            code=f"c-{secrets.token_hex(3)}", name="Carrier", tracking_url="https://track.example/{number}"
        )
        for _ in range(n)
    ],
    "orders.ShippingMethod": _shipping_methods,
    "retail.TaxClass": lambda n: [
        TaxClass.objects.create(code=f"c-{secrets.token_hex(3)}", name="Class") for _ in range(n)
    ],
    "retail.TaxRate": lambda n: [
        TaxRate.objects.create(
            market=Market.objects.create(
                code=f"m-{secrets.token_hex(3)}", name="Market", currency="PLN", default_language="pl"
            ),
            tax_class=TaxClass.objects.create(code=f"c-{secrets.token_hex(3)}", name="Class"),
            rate=Decimal(23),
            valid_from=timezone.localdate(),
        )
        for _ in range(n)
    ],
    "retail.StoreMembership": lambda n: [MembershipFactory() for _ in range(n)],
    "retail.PosDevice": lambda n: [issue_pos_device(store=StoreFactory(), name=f"Till {i}") for i in range(n)],
    "retail.AuditEvent": lambda n: [
        record_audit_event(actor=UserFactory(), action="test.done", store=StoreFactory()) for _ in range(n)
    ],
    "retail.OutboxMessage": lambda n: [enqueue_outbox_message(topic=NOTIFY_TOPIC, payload={}) for _ in range(n)],
    "retail.IdempotencyKey": _idempotency,
    "inventory.Category": lambda n: [CategoryFactory(parent=CategoryFactory(parent=CategoryFactory())) for _ in _(n)],
    "inventory.Product": lambda n: [VariantFactory(product=ProductFactory(category=CategoryFactory())) for _ in _(n)],
    "inventory.Variant": lambda n: [VariantFactory() for _ in range(n)],
    "inventory.StockLevel": _levels,
    "inventory.StockMovement": _levels,
    "inventory.Reservation": _reservations,
    "inventory.Transfer": _transfers,
    "inventory.StockCount": _counts,
    "inventory.PriceChange": _price_changes,
    "inventory.PriceSchedule": _price_schedules,
    "inventory.PriceList": _price_lists,
    "inventory.VariantPrice": _variant_prices,
    "customers.Customer": _customers,
    "customers.Tag": lambda n: [Tag.objects.create(name=f"tag-{secrets.token_hex(3)}") for _ in range(n)],
    "customers.LoyaltyTier": lambda n: [_tier() for _ in range(n)],
    "customers.Offer": lambda n: [
        OfferFactory(tier=_tier(), tag=Tag.objects.create(name=secrets.token_hex(3))) for _ in range(n)
    ],
    "customers.Interaction": lambda n: [InteractionFactory(store=StoreFactory()) for _ in range(n)],
    "customers.PointsEntry": _points,
    "customers.StoreCreditEntry": _credit,
    "customers.GiftCard": _gift_cards,
    "customers.GiftCardEntry": _gift_cards,
    "customers.CustomerMerge": _merges,
    "orders.Order": _orders,
    "orders.Cart": _carts,
    "orders.Notification": _notifications,
    "returns.ReturnPolicy": lambda n: [ReturnPolicy.objects.create(name=f"P{i}", is_active=False) for i in range(n)],
    "returns.ReturnRequest": _returns,
}


# Not a model changelist: the insights report page (its query counts are tested in tests/insights).
def _integration_tokens(n):
    from webhooks.tokens import issue_integration_token

    for i in range(n):
        issue_integration_token(user=UserFactory(is_staff=True), name=f"warehouse {i}", scopes=["events:read"],
                                actor=None)  # fmt: skip


ROWS.update({"webhooks.Subscription": _subscriptions, "webhooks.Delivery": _deliveries, "webhooks.Event": _events,
             "webhooks.IntegrationToken": _integration_tokens})  # fmt: skip
NOT_LISTS = {"insights.Report"}
