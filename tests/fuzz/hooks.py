"""Schemathesis checks of Omnistore's own contract, loaded by the live fuzz run (SCHEMATHESIS_HOOKS).

- `error_code_is_documented`: every error answered carries a code the operation lists for that status
  (`x-error-codes`, derived from the code by retail.api.codes), so the per-operation lists are proven
  against what the server really says.
- `shape_of_valid_input_is_accepted`: data the schema calls valid is never refused for its shape
  (`invalid`, `unknown_field`, `parse_error`): the schema is as strict as the code. A domain refusal
  (an unknown SKU, tenders that do not add up) is the schema's business only through its code list.

Imports nothing from Django: the CLI loads it in its own process.
"""

import itertools
import json
import os
import re
import uuid
import zlib
from decimal import Decimal

import schemathesis
from schemathesis.core.parameters import ParameterLocation

SHAPE_CODES = {"invalid", "unknown_field", "parse_error"}
IDEMPOTENCY_HEADER = "Idempotency-Key"
BATCH_PATHS = re.compile(r"^/api/v1/(events|pos/sales/batch)/$")


def _error(response) -> dict | None:
    if response.status_code < 400 or "json" not in (response.headers.get("content-type") or [""])[0]:
        return None
    try:
        body = json.loads(response.content)
    except ValueError:
        return None
    return body if isinstance(body, dict) and isinstance(body.get("code"), str) else None


@schemathesis.check
def error_code_is_documented(ctx, response, case):
    body = _error(response)
    if body is None or response.status_code == 405:  # a method the path does not take has no operation
        return None
    documented = case.operation.definition.raw.get("responses", {}).get(str(response.status_code), {})
    codes = documented.get("x-error-codes", [])
    if body["code"] not in codes:
        raise AssertionError(
            f"Undocumented error code: {response.status_code} `{body['code']}` is not among the codes "
            f"{case.operation.label} documents for {response.status_code}: {codes}"
        )
    return None


@schemathesis.check
def shape_of_valid_input_is_accepted(ctx, response, case):
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code != 400:
        return None
    body = _error(response)
    if body is not None and body["code"] in SHAPE_CODES:
        fields = json.dumps(body.get("fields") or {})[:500]
        raise AssertionError(f"Schema-valid input refused for its shape: `{body['code']}` {fields}")
    return None


@schemathesis.check
def bad_batch_items_are_refused(ctx, response, case):
    """A schema-invalid batch is refused: whole (4xx), or the bad items one by one in a 200."""
    meta = case.meta
    if meta is None or meta.generation.mode.is_positive or not BATCH_PATHS.match(case.operation.path):
        return None
    if case.method.upper() != case.operation.method.upper():  # a probe with another method (OPTIONS...)
        return None
    if response.status_code >= 400:
        return None
    body = json.loads(response.content)
    refused = body.get("rejected") or [r for r in body.get("results", []) if r.get("status") == "rejected"]
    if not refused:
        raise AssertionError("Schema-violating batch accepted: no item refused and no 4xx")
    return None


@schemathesis.hook
def before_call(context, case, kwargs):
    """A request gets a fresh Idempotency-Key, as a client makes one per action: generated keys repeat
    (the coverage phase sends one key with every body), and a repeated key with another body is rightly a
    422 before the body is read, so an invalid body never reached its validation (198 of a staff run's
    1,353 coverage requests). Only a case whose headers are the invalid part keeps the generated key, so
    a malformed key is still tried."""
    meta = case.meta
    if meta is None:
        return
    if meta.generation.mode.is_positive:
        make_coherent(case)
    elif meta.is_negative_at(ParameterLocation.HEADER):
        return
    documented = any(
        p.get("in") == "header" and p.get("name") == IDEMPOTENCY_HEADER
        for p in case.operation.definition.raw.get("parameters", [])
    )
    if documented:
        case.headers = {**(case.headers or {}), IDEMPOTENCY_HEADER: str(uuid.uuid4())}


@schemathesis.hook
def after_call(context, case, response):
    """With FUZZ_TRACE set, one JSON line per call (operation, phase, mode, status, code): what the run reached."""
    path = os.environ.get("FUZZ_TRACE")
    if not path:
        return
    meta = case.meta
    body = _error(response) or {}
    record = {
        "operation": case.operation.label,
        "method": case.method,
        "phase": meta.phase.name.value if meta else None,
        "mode": meta.generation.mode.value if meta else None,
        "status": response.status_code,
        "code": body.get("code"),
        "message": str(body.get("message", ""))[:300],
    }
    with open(path, "a") as out:
        out.write(json.dumps(record) + "\n")


# --- valid data that a domain rule would refuse anyway -------------------------------------------------
# A few operations take bodies whose parts must agree with each other and with the chain (the tenders
# add up to the lines, a return names a purchase of the shopper's, a checkout says once how the order
# reaches the shopper): the schema holds each part's shape, not these rules, so random valid bodies are
# nearly all refused with the rule's code and a phase would test nothing past it. Valid cases of those
# operations are made to agree (keeping what was generated where the rules allow: quantities, channels,
# reasons, receipt numbers, identities), as schemathesis advises ("extend generators to match runtime
# rules"). The world's values come from tests/fuzz/world.py through FUZZ_WORLD.


def _world() -> dict:
    return json.loads(os.environ.get("FUZZ_WORLD") or "{}")


def _known(value, choices: list, fallback):
    return (
        value
        if value in choices
        else (choices[zlib.crc32(str(value).encode()) % len(choices)] if choices else fallback)
    )


def _sale(sale: dict, world: dict) -> None:
    total = Decimal("0.00")
    for line in sale.get("lines") or []:
        line.pop("barcode", None)
        line["sku"] = _known(line.get("sku"), world["skus"], "TSH-BLU-M")
        if Decimal(line.get("unit_price") or "0") * line["quantity"] > Decimal("99999999"):
            line["unit_price"] = "25.00"
        line.setdefault("unit_price", "25.00")
        worth = Decimal(line["unit_price"]) * line["quantity"]
        if Decimal(line.get("discount") or "0") > worth:
            line["discount"] = "0.00"
        total += worth - Decimal(line.get("discount") or "0")
    if total <= 0 and sale.get("lines"):
        first = sale["lines"][0]
        first.update(unit_price="25.00", discount="0.00")
        total += Decimal("25.00") * first["quantity"]
    tender = dict((sale.get("tenders") or [{}])[0])
    if tender.get("method") in (None, "store_credit"):
        tender["method"] = "cash"
    tender["amount"] = f"{total:.2f}"
    sale["tenders"] = [tender]
    sale.update(points=0, offer_code="")  # redeeming needs a shopper with points and offers (tests/orders)


def _checkout(body: dict, world: dict, *, anonymous: bool) -> None:
    if body.get("groups") and body.get("fulfillment"):
        body.pop("groups")
    if not body.get("groups"):
        body.pop("groups", None)
        body.setdefault("fulfillment", {"kind": "pickup"})
        if anonymous or (body.get("from_cart") and body.get("lines")):
            body["from_cart"] = False
        if not body.get("from_cart") and not body.get("lines"):
            body["lines"] = [{"sku": world["skus"][0], "quantity": 1}]
        groups = [body["fulfillment"]]
    else:
        body.pop("lines", None)
        body["from_cart"] = False
        groups = body["groups"]
    for group in groups:
        if group["kind"] in ("pickup", "curbside"):
            group["store"] = _known(group.get("store"), world["pickup_stores"], "LON-01")
        else:
            group.setdefault(
                "shipping_address", {"line1": "1 Long Acre", "city": "London", "postcode": "WC2E 9LH", "country": "GB"}
            )
        if body.get("groups"):
            group["lines"] = group.get("lines") or [{"sku": world["skus"][0], "quantity": 1}]
    for line in [*(body.get("lines") or []), *(line for g in body.get("groups") or [] for line in g["lines"])]:
        line["sku"] = _known(line["sku"], world["skus"], "TSH-BLU-M")
    body.update(payments=[{"method": "card", "token": "tok_visa_4242"}], points=0, offer_code="")
    if anonymous:
        body["contact"] = {**(body.get("contact") or {}), "email": "ada@example.com"}


_RETURNS = itertools.count()  # valid returns started so far in this run (one schemathesis process)


def _return(body: dict, world: dict) -> None:
    """One unit of a purchase of the caller's: at the till by receipt, online from the collected orders in
    turn, so that no order runs out of units while the run lasts."""
    first = (body.get("lines") or [{}])[0]
    line = {"quantity": 1, "reason": first.get("reason", "wrong_size"), "condition": first.get("condition", "new")}
    if "receipt_number" in body:  # at the till: a purchase at this store, by its receipt
        body.update(original_receipt=world["receipt"], order_number="", lines=[{**line, "sku": world["sku"]}])
        body.pop("approval", None)
    else:
        orders = world["returnable_orders"]
        body.update(order_number=orders[next(_RETURNS) % len(orders)], lines=[{**line, "line_number": 1}])
        if body.get("method", "in_store") == "in_store":
            body["store"] = _known(body.get("store"), world["pickup_stores"], "LON-01")


def _cart(body: dict, world: dict) -> None:
    """One line per SKU (a SKU's lines are summed, at most 99), of the catalog's SKUs."""
    lines = {}
    for line in body.get("lines") or []:
        lines.setdefault(_known(line["sku"], world["skus"], line["sku"]), line["quantity"])
    body["lines"] = [{"sku": sku, "quantity": quantity} for sku, quantity in lines.items()]


def _card_purchase(body: dict, world: dict, limit: str) -> None:
    """A card the test provider authorises (any other token is its invalid_payment), and an amount within
    the operation's limit (a setting: above it is gift_card_amount / top_up_amount); in-range amounts stay."""
    body["payment_token"] = "tok_visa_4242"
    amount = Decimal(body.get("amount") or "0")
    if not Decimal("0") < amount <= Decimal(world.get(limit) or "100.00"):
        body["amount"] = "25.00"


_ADDED = itertools.count()  # lines added to the caller's cart so far in this run


def _add_line(body: dict, world: dict) -> None:
    """A few units (1 to 3) of each catalog SKU in turn: a line holds at most 99, and a run adds to one cart hundreds of
    times, so generated quantities on a few SKUs filled every line and each later add was a legitimate
    invalid_quantity (a scenario of nothing but refusals, validation_mismatch). Of the SKUs nothing else puts in
    that cart (world.add_skus): replaced carts, merges and opened links filled the catalog's to 99 too."""
    skus = world.get("add_skus") or world.get("skus") or [body.get("sku")]
    body.update(sku=skus[next(_ADDED) % len(skus)], quantity=1 + (int(body.get("quantity") or 1) - 1) % 3)


_OPENED = itertools.count()  # sent carts opened so far in this run


def _open_sent(body: dict, world: dict) -> None:
    """A link the store really sent (the schema's example is a made-up token), each in turn: one opens once."""
    tokens = world.get("sent_carts") or [body.get("token")]
    body["token"] = tokens[next(_OPENED) % len(tokens)]


COHERENT = {
    "POST /api/v1/carts/": lambda body, world, _: _cart(body, world),
    "PUT /api/v1/carts/{token}/": lambda body, world, _: _cart(body, world),
    "PUT /api/v1/me/cart/": lambda body, world, _: _cart(body, world),
    "POST /api/v1/pos/sales/": lambda body, world, _: _sale(body, world),
    "POST /api/v1/pos/sales/batch/": lambda body, world, _: [_sale(r, world) for r in body.get("receipts", [])],
    "POST /api/v1/pos/returns/": lambda body, world, _: _return(body, world),
    "POST /api/v1/returns/": lambda body, world, _: _return(body, world),
    "POST /api/v1/orders/": lambda body, world, anonymous: _checkout(body, world, anonymous=anonymous),
    "POST /api/v1/me/cart/open-sent/": lambda body, world, _: _open_sent(body, world),
    "POST /api/v1/me/cart/lines/": lambda body, world, _: _add_line(body, world),
    "POST /api/v1/me/giftcards/": lambda body, world, _: _card_purchase(body, world, "gift_card_max"),
    "POST /api/v1/me/wallet/topups/": lambda body, world, _: _card_purchase(body, world, "top_up_max"),
}


def make_coherent(case) -> None:
    fix = COHERENT.get(case.operation.label)
    world = _world()
    if fix is not None and world and isinstance(case.body, dict):
        fix(case.body, world, world.get("caller") == "anonymous")
