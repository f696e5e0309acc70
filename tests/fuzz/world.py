"""A small chain with real rows for a live fuzz run, and the four callers of the API.

Every id the schema's path, query and body parameters name gets real values here (store codes,
SKUs, barcodes, the shopper's order numbers, a return, a cart token, list items), so the fuzzer
reaches past lookups instead of collecting 404s ("missing test data"). Written through the apps'
services, as a client's history would be.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.test import Client

from retail.models import StoreMembership
from retail.services import issue_pos_device
from tests.factories import TEST_PASSWORD, MembershipFactory, StoreFactory, UserFactory, WarehouseFactory
from tests.helpers import enrol_totp, pickup_proof
from tests.returns.factories import make_policy

SHOPPER_EMAIL = "fuzz.shopper@example.com"
LOGIN_URL = "/_allauth/app/v1/auth/login"
CALLERS = ("anonymous", "shopper", "device", "staff", "integration")
COLLECTED_ORDERS = 12  # of 30 units of the example SKU each: 360 returnable units


@dataclass
class World:
    stores: list[str] = field(default_factory=list)
    skus: list[str] = field(default_factory=list)
    barcodes: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    product_ids: list[int] = field(default_factory=list)
    order_numbers: list[str] = field(default_factory=list)
    ready_orders: list[str] = field(default_factory=list)  # of order_numbers, the ones with a pick-up ready
    curbside_orders: list[str] = field(default_factory=list)  # of order_numbers, curbside: "I'm here" finds them
    returnable_orders: list[str] = field(default_factory=list)  # of order_numbers, collected: returns start here
    sent_carts: list[str] = field(default_factory=list)  # link tokens of carts a store sent the caller: each opens once
    # SKUs only POST /me/cart/lines/ adds to (1-3 at a time): replaced carts, merges and opened links fill the
    # others' lines up to their 99, after which an add is a legitimate refusal, not a finding
    add_skus: list[str] = field(default_factory=list)
    rma_numbers: list[str] = field(default_factory=list)
    cart_tokens: list[str] = field(default_factory=list)
    list_item_ids: list[int] = field(default_factory=list)
    receipts: list[str] = field(default_factory=list)
    gift_cards: list[str] = field(default_factory=list)
    subscription_ids: list[int] = field(default_factory=list)
    # numbers of the numbering plan (the UK's range kept for drama), in E.164 as the profile takes them
    phones: list[str] = field(default_factory=lambda: [f"+4477009001{n:02d}" for n in range(10)])
    device_token: str = ""
    integration_token: str = ""
    staff_email: str = ""

    def headers(self, caller: str) -> dict[str, str]:
        """HTTP headers that make a request come from `caller` (signed in now, through the app's own flows)."""
        if caller == "anonymous":
            return {}
        if caller == "device":
            return {"Authorization": f"Device {self.device_token}"}
        if caller == "integration":  # head office's systems: a staff integration token with every scope
            return {"Authorization": f"Bearer {self.integration_token}"}
        client = Client(enforce_csrf_checks=True)
        if caller == "shopper":
            response = client.post(
                LOGIN_URL, {"email": SHOPPER_EMAIL, "password": TEST_PASSWORD}, content_type="application/json"
            )
            assert response.status_code == 200, response.content
            return {"X-Session-Token": response.json()["meta"]["session_token"]}
        from retail.models import User

        client.force_login(User.objects.get(email=self.staff_email))  # a manager whose TOTP is on (MFA)
        client.get("/portal/")  # sets the CSRF cookie, as the browser's first page does
        csrf = client.cookies["csrftoken"].value
        cookie = f"sessionid={client.cookies['sessionid'].value}; csrftoken={csrf}"
        return {"Cookie": cookie, "X-CSRFToken": csrf}


def build_world(caller: str = "shopper") -> World:
    """Stores and a warehouse, a catalog in stock, a till, a shopper and a manager with MFA (the staff
    session), and for the caller (the manager when it is the staff session) a history: orders on every
    step, returns, lists; anonymous carts too. Schema examples name some of these rows."""
    from customers.api.examples import EXAMPLE_GIFT_CARD
    from customers.models import GiftCard, ListItem
    from customers.services import add_list_item, link_user_to_customer, set_consent
    from customers.services.giftcards import hash_code, issue_gift_card, normalise_code
    from inventory import services as inventory
    from inventory.api.fields import EXAMPLE_BARCODE, EXAMPLE_SKU
    from inventory.api.views import EXAMPLE_CATEGORY
    from orders.api.examples import EXAMPLE_CART, EXAMPLE_ORDER, EXAMPLE_RECEIPT, EXAMPLE_RMA
    from orders.models import Cart, Fulfillment, Order
    from orders.returns.models import ReturnRequest
    from orders.returns.services import LineRequest, start_return
    from orders.services import (
        GroupRequest,
        PosSale,
        TenderRequest,
        create_anonymous_cart,
        hand_over_pickup,
        mark_ready,
        place_order,
        record_pos_sale,
        replace_cart_lines,
        save_cart_for_customer,
        scan_pick,
    )
    from orders.services.saved_carts import saved_cart_token
    from retail.api.fields import EXAMPLE_ID
    from tests.inventory.factories import CategoryFactory, ProductFactory, VariantFactory

    world = World()
    london = StoreFactory(code="LON-01", name="Covent Garden", accepts_returns=True)
    manchester = StoreFactory(
        code="MAN-01", name="Manchester", city="Manchester", latitude=Decimal("53.4839"), longitude=Decimal("-2.2386")
    )
    warehouse = WarehouseFactory(code="WH-01", name="Midlands DC", city="Leicester")
    world.stores = [london.code, manchester.code, warehouse.code]
    make_policy("Standard")

    variants = []
    for index, (name, colour, sizes) in enumerate([("Tee", "Blue", ("S", "M", "L")), ("Chino", "Stone", ("30", "32"))]):
        slug = EXAMPLE_CATEGORY if index == 0 else "trousers"
        category = CategoryFactory(name=slug.title(), slug=slug)
        product = ProductFactory(
            id=EXAMPLE_ID + index, name=name, style_code=("TSH", "CHN")[index], category=category, base_price="25.00"
        )
        world.product_ids.append(product.pk)
        world.categories.append(category.slug)
        for size in sizes:
            variant = VariantFactory(
                product=product, size=size, colour=colour, sku=f"{product.style_code}-{colour[:3].upper()}-{size}"
            )
            variants.append(variant)
            world.skus.append(variant.sku)
            world.barcodes.append(variant.barcode)
    assert EXAMPLE_SKU in world.skus
    socks = ProductFactory(name="Sock", style_code="SCK", category=category, base_price="5.00")
    for size in ("1", "2", "3", "4", "5", "6"):
        world.add_skus.append(VariantFactory(product=socks, size=size, colour="Grey", sku=f"SCK-GRY-{size}").sku)
    variants[1].barcode = EXAMPLE_BARCODE
    variants[1].save(update_fields=["barcode"])
    world.barcodes[1] = EXAMPLE_BARCODE
    for store in (london, manchester, warehouse):
        inventory.receive_stock(location=store, lines=[(v, 10_000) for v in variants], reference=f"FUZZ-{store.code}")

    device, world.device_token = issue_pos_device(store=london, name="Till 1")
    manager = MembershipFactory(store=london, role=StoreMembership.Role.MANAGER).user
    enrol_totp(manager)
    world.staff_email = manager.email

    shopper_login = UserFactory(email=SHOPPER_EMAIL, full_name="Fuzz Shopper", email_verified=True)
    shopper = link_user_to_customer(user=shopper_login)
    if caller == "staff":  # a manager shopping on the API with their portal session owns the history
        shopper = link_user_to_customer(user=manager)
    set_consent(customer=shopper, channel="email", granted=True, source="fuzz")
    card = [TenderRequest(method="card", token="tok_visa_4242")]

    def order(kind="pickup"):
        placed = place_order(
            channel="app",
            groups=[GroupRequest(kind=kind, lines=[(EXAMPLE_SKU, 30), (variants[3].sku, 1)], store=london)],
            customer=shopper,
            tenders=card,
        )
        world.order_numbers.append(placed.number)
        return placed

    def ready(placed):
        fulfillment = placed.fulfillments.get()
        for line in fulfillment.lines.all():
            for _ in range(line.quantity):
                scan_pick(fulfillment=fulfillment, code=line.sku, actor=manager, store=london)
        mark_ready(fulfillment=Fulfillment.objects.get(pk=fulfillment.pk), actor=manager, store=london)
        return Fulfillment.objects.get(pk=fulfillment.pk)

    for _ in range(2):
        order()  # placed: cancellable
    for _ in range(3):  # the shopper can say "I'm here" (three: the fuzzer cancels some placed orders first)
        world.curbside_orders.append(order(kind="curbside").number)
    for _ in range(3):  # ready to collect: their QR and pick-up code are served (the shopper may cancel some)
        world.ready_orders.append(ready(order()).order.number)
    collected_orders = []
    # collected: what returns are started from. Each valid return takes one unit, and a full run starts
    # a few hundred: the hooks rotate over these orders so none runs out (one order's 30 units did, and
    # every later case was a legitimate `too_many_units` that tested nothing past it)
    for _ in range(COLLECTED_ORDERS):
        collected = ready(order())
        hand_over_pickup(
            fulfillment=collected,
            actor=manager,
            store=london,
            verification="code",
            collected_by_name=shopper.full_name,
            proof=pickup_proof(collected, "code"),
        )
        collected_orders.append(collected.order)
    # the schema's example order number is a collected order of the shopper's
    Order.objects.filter(pk=collected_orders[0].pk).update(number=EXAMPLE_ORDER)
    world.order_numbers[world.order_numbers.index(collected_orders[0].number)] = EXAMPLE_ORDER
    world.returnable_orders = [placed.number for placed in collected_orders]
    world.returnable_orders[0] = EXAMPLE_ORDER
    for collected_order in collected_orders[1:3]:
        returned = start_return(
            order=collected_order,
            lines=[LineRequest(line_number=1, quantity=1, reason="wrong_size")],
            channel="app",
            store=london,
            actor=shopper.user,
        )
        world.rma_numbers.append(returned.rma_number)
    ReturnRequest.objects.filter(rma_number=world.rma_numbers[0]).update(rma_number=EXAMPLE_RMA)
    world.rma_numbers[0] = EXAMPLE_RMA
    sale, _ = record_pos_sale(
        device=device,
        sale=PosSale(
            receipt_number=EXAMPLE_RECEIPT,
            lines=[{"sku": EXAMPLE_SKU, "quantity": 900, "unit_price": "25.00"}],
            tenders=[{"method": "card", "amount": "22500.00", "brand": "visa", "last4": "4242"}],
            customer={"email": shopper.email},
        ),
    )
    world.receipts.append(sale.receipt_number)
    for index in range(3):  # numbers for the balance check (only their hash is stored: kept from the issue)
        issued = issue_gift_card(amount=Decimal("50.00"), source="sold", reference=f"FUZZ-GC-{index}")
        world.gift_cards.append(issued.code)
    # the schema's example number is the first card's (only a number's hash names a card)
    GiftCard.objects.filter(code_hash=hash_code(world.gift_cards[0])).update(
        code_hash=hash_code(EXAMPLE_GIFT_CARD), last4=normalise_code(EXAMPLE_GIFT_CARD)[-4:]
    )
    world.gift_cards[0] = EXAMPLE_GIFT_CARD
    world.order_numbers.append(sale.number)

    for index, variant in enumerate(variants * 4):  # DELETE takes them one by one
        item = add_list_item(customer=shopper, sku=variant.sku, channel="app", list_name=f"List {index}")
        world.list_item_ids.append(item.pk)
    ListItem.objects.filter(pk=world.list_item_ids[0]).update(id=EXAMPLE_ID)
    world.list_item_ids[0] = EXAMPLE_ID
    for _ in range(40):  # merging and checking out close them (ten ran out in one run of the fuzzer)
        cart = create_anonymous_cart(channel="web")
        replace_cart_lines(cart=cart, lines=[(EXAMPLE_SKU, 1)], channel="web")
        world.cart_tokens.append(cart.token)
    Cart.objects.filter(token=world.cart_tokens[0]).update(token=EXAMPLE_CART)
    world.cart_tokens[0] = EXAMPLE_CART
    for _ in range(12):  # carts the store sent the shopper (each link opens once, then 409 cart_link_used)
        sent = save_cart_for_customer(
            customer=shopper, store=london, actor=manager, lines=[(EXAMPLE_SKU, 1), (variants[3].sku, 2)], send=True
        )
        world.sent_carts.append(saved_cart_token(sent))
    _integrations(world, manager)
    return world


def _integrations(world: World, manager) -> None:
    """A staff integration token with every scope, webhook subscriptions (DELETE takes them one by one)
    and published events in the change feed."""
    from retail.api.fields import EXAMPLE_ID
    from retail.models import OutboxMessage
    from retail.outbox import deliver_outbox_message
    from webhooks.events import EVENTS_TOPIC
    from webhooks.models import Subscription
    from webhooks.services import create_subscription
    from webhooks.tokens import issue_integration_token

    staff = UserFactory(is_staff=True)
    world.integration_token = issue_integration_token(
        user=staff, name="fuzz", scopes=["webhooks:manage", "events:read"], actor=None
    )[1]
    for index in range(12):
        subscription, _ = create_subscription(
            name=f"Hook {index}", url=f"https://hooks{index}.example.com/omnistore", event_types=["order.placed"],
            actor=manager,
        )  # fmt: skip
        world.subscription_ids.append(subscription.pk)
    Subscription.objects.filter(pk=world.subscription_ids[0]).update(id=EXAMPLE_ID)
    world.subscription_ids[0] = EXAMPLE_ID
    for message_id in OutboxMessage.objects.filter(topic=EVENTS_TOPIC, status="pending").values_list("id", flat=True):
        deliver_outbox_message(message_id=message_id)  # the history above, published: the feed has pages
