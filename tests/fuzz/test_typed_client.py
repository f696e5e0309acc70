"""A typed client generated from the schema drives a shopper's whole journey (issue 15.6).

openapi-python-client (dev lock) turns the schema `/api/schema/` serves into a Python package of
attrs models and one function per operation, as an app team would. If the schema lies (a field
the server requires but the schema calls optional, a type the answer does not have, a missing
operation), the generated code fails to build the request or to parse the answer, so this test
is the proof that the schema is usable, not only valid.

The journey: sign up (allauth headless, which has its own schema), find a product and its stock,
fill the cart, check out for pick-up, follow the order, and once collected start a return.
"""

import importlib
import json
import re
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest
from django.core import mail

from tests.fuzz.live import api_schema
from tests.fuzz.world import build_world

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PACKAGE = "omnistore_client"


@pytest.fixture
def typed_client(tmp_path):
    """Generate the client from the schema into tmp_path and import it."""
    schema_file = tmp_path / "openapi.json"
    schema_file.write_text(json.dumps(api_schema(), default=str))
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"package_name_override": PACKAGE, "post_hooks": []}))
    generator = Path(sys.executable).with_name("openapi-python-client")
    done = subprocess.run(
        [
            *(str(generator), "generate", "--path", str(schema_file), "--meta", "none"),
            *("--output-path", str(tmp_path / PACKAGE), "--config", str(config)),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    # Nothing of the schema is left out, but for the QR codes (SVG images, which it does not model:
    # they stay plain GETs) where the generator says so.
    output = done.stdout + done.stderr
    warnings = [line for line in output.splitlines() if line.startswith("WARNING parsing")]
    assert all(line.endswith(("qr.svg within orders.", "qr.svg within returns.")) for line in warnings), output
    assert "Unable to" not in output and "Error" not in output, output
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def test_a_generated_client_signs_up_buys_for_pickup_and_returns(typed_client, live_server):
    from orders.models import Fulfillment
    from orders.services import hand_over_pickup, mark_ready, scan_pick
    from retail.models import User
    from tests.helpers import pickup_proof

    api = importlib.import_module(f"{PACKAGE}.api")
    models = importlib.import_module(f"{PACKAGE}.models")
    products_list = importlib.import_module(f"{PACKAGE}.api.products.products_list")
    availability = importlib.import_module(f"{PACKAGE}.api.availability.availability_retrieve")
    stores_list = importlib.import_module(f"{PACKAGE}.api.stores.stores_list")
    cart_add = importlib.import_module(f"{PACKAGE}.api.me.me_cart_lines_create")
    cart_get = importlib.import_module(f"{PACKAGE}.api.me.me_cart_retrieve")
    orders_create = importlib.import_module(f"{PACKAGE}.api.orders.orders_create")
    orders_get = importlib.import_module(f"{PACKAGE}.api.orders.orders_retrieve")
    my_orders = importlib.import_module(f"{PACKAGE}.api.me.me_orders_list")
    returns_create = importlib.import_module(f"{PACKAGE}.api.returns.returns_create")
    returns_get = importlib.import_module(f"{PACKAGE}.api.returns.returns_retrieve")
    assert api is not None
    world = build_world("anonymous")  # stores, a catalog in stock, a manager to hand the order over

    # given a new shopper who signs up in the app (allauth headless: its own schema, plain HTTP here)
    signup = httpx.post(
        f"{live_server.url}/_allauth/app/v1/auth/signup",
        json={"email": "ada.typed@example.com", "password": "a-long-Passphrase-9"},
    )
    assert signup.status_code == 401, signup.text  # not signed in until the mailed code is typed
    [message] = mail.outbox
    code = re.search(r"^([A-Z0-9]{4}-[A-Z0-9]{4})$", message.body, re.MULTILINE).group(1)
    verified = httpx.post(
        f"{live_server.url}/_allauth/app/v1/auth/email/verify",
        json={"key": code},
        headers={"X-Session-Token": signup.json()["meta"]["session_token"]},
    )
    assert verified.status_code == 200, verified.text
    token = verified.json()["meta"]["session_token"]
    anonymous = typed_client.Client(base_url=live_server.url, raise_on_unexpected_status=True)
    shopper = typed_client.AuthenticatedClient(
        base_url=live_server.url,
        token=token,
        prefix="",
        auth_header_name="X-Session-Token",
        raise_on_unexpected_status=True,
    )

    # when the app lists products and asks where one can be collected
    page = products_list.sync(client=anonymous, q="Tee")
    assert isinstance(page, models.PaginatedProductListList), page
    tee = page.results[0]
    sku = tee.variants[0].sku
    stock = availability.sync(client=anonymous, sku=sku)
    assert not isinstance(stock, models.ApiError), stock
    stores = stores_list.sync(client=anonymous, pickup=True)
    assert isinstance(stores, models.PaginatedStoreList), stores
    store_code = stores.results[0].code
    assert store_code in world.stores

    # and it puts two in the cart and checks out for pick-up with a card token
    line = cart_add.sync(client=shopper, body=models.CartLineAddInputRequest(sku=sku, quantity=2))
    assert not isinstance(line, models.ApiError), line
    cart = cart_get.sync(client=shopper)
    assert [(row.sku, row.quantity) for row in cart.lines] == [(sku, 2)]
    order = orders_create.sync(
        client=shopper,
        idempotency_key=str(uuid.uuid4()),
        body=models.CheckoutInputRequest(
            from_cart=True,
            fulfillment=models.GroupInputRequest(kind=models.GroupInputKindEnum.PICKUP, store=store_code),
            payments=[models.PaymentInputRequest(method=models.PaymentInputMethodEnum.CARD, token="tok_visa_4242")],
        ),
    )
    # then the answer parses as the schema's OrderOutput, and the order is placed for pick-up there
    assert isinstance(order, models.OrderOutput), order
    assert order.fulfillments[0].kind == models.FulfillmentKindEnum.PICKUP
    assert order.fulfillments[0].store == store_code

    # and the shopper can follow it: in their list and by number
    mine = my_orders.sync(client=shopper)
    assert order.number in [o.number for o in mine.results]
    assert orders_get.sync(client=shopper, number=order.number).status == order.status

    # when the store picks it, puts it on the shelf and hands it over with the code
    manager = User.objects.get(email=world.staff_email)
    fulfillment = Fulfillment.objects.get(order__number=order.number)
    for _ in range(2):
        scan_pick(fulfillment=fulfillment, code=sku, actor=manager, store=fulfillment.location)
    mark_ready(fulfillment=Fulfillment.objects.get(pk=fulfillment.pk), actor=manager, store=fulfillment.location)
    ready = Fulfillment.objects.get(pk=fulfillment.pk)
    hand_over_pickup(
        fulfillment=ready,
        actor=manager,
        store=ready.location,
        verification="code",
        collected_by_name="",  # a shopper who gave no name collects with the code (issue 16)
        proof=pickup_proof(ready, "code"),
    )
    collected = orders_get.sync(client=shopper, number=order.number)
    assert collected.status == models.OrderStatusEnum.COMPLETED

    # then the app starts a return of one of the two, and reads it back by its RMA
    started = returns_create.sync(
        client=shopper,
        idempotency_key=str(uuid.uuid4()),
        body=models.ReturnCreateInputRequest(
            order_number=order.number,
            lines=[models.ReturnLineInputRequest(line_number=1, quantity=1, reason=models.ModelReasonEnum.WRONG_SIZE)],
            store=store_code,
        ),
    )
    assert isinstance(started, models.ReturnOutput), started
    again = returns_get.sync(client=shopper, rma_number=started.rma_number)
    assert again.rma_number == started.rma_number and again.lines[0].quantity == 1

    # and a request the server refuses parses as the documented error shape, with its code
    refused = returns_create.sync_detailed(
        client=typed_client.AuthenticatedClient(
            base_url=live_server.url, token=token, prefix="", auth_header_name="X-Session-Token"
        ),
        idempotency_key=str(uuid.uuid4()),
        body=models.ReturnCreateInputRequest(
            order_number="NOT-AN-ORDER",
            lines=[models.ReturnLineInputRequest(line_number=1, quantity=1, reason=models.ModelReasonEnum.WRONG_SIZE)],
        ),
    )
    assert refused.status_code >= 400 and isinstance(refused.parsed, models.ApiError), refused
    assert refused.parsed.code
