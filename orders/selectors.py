"""Reads of the orders app, shaped for the API, the portal and the dashboard (constant queries)."""

from decimal import Decimal

from django.contrib.postgres.fields import ArrayField
from django.db.models import Count, F, JSONField, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Customer
from customers.selectors import customer_for_user
from inventory.catalog_texts import attach_texts, reading_order
from inventory.market_prices import price_expression
from inventory.models import Product
from inventory.selectors import available_at, available_online_of
from orders.errors import OrderCode, OrderError
from orders.models import Cart, CartLine, Fulfillment, Order, OrderLine
from orders.numbers import QR_PREFIX, normalise_order_number
from orders.services import pick_sla
from retail.domain.channel import channel_choices
from retail.domain.codes import read_code
from retail.domain.money import format_money, money
from retail.errors import RetailCode
from retail.markets import market_currency
from retail.models import Market, Store, User
from retail.models.stores import zone_named
from retail.selectors import stores_for_user

S = Fulfillment.Status
ZERO = Decimal("0.00")
FULFILLMENT_KINDS = dict(Fulfillment.Kind.choices)
FULFILLMENT_STATUSES = dict(Fulfillment.Status.choices)
QUEUE_TABS = ("to_pick", "picking", "ready", "overdue", "expired", "to_ship")


# --------------------------------------------------------------------------- carts


EMPTY_CART = {
    "token": None,
    "status": "open",
    "country": "",
    "lines": [],
    "subtotal": "0.00",
    "item_count": 0,
    "warnings": [],
}


CART_LINE_FIELDS = {
    "sku": F("variant__sku"),
    "name": F("variant__product__name"),
    "product_id": F("variant__product_id"),
    "image_url": F("variant__product__image_url"),
    "size": F("variant__size"),
    "colour": F("variant__colour"),
    "sellable": Q(variant__is_active=True, variant__product__is_active=True),
}


def _cart_lines(store: Store | None, *, price, **also) -> QuerySet[CartLine]:
    """Lines as rows of what a cart shows (and `also`), with the units to be had (online, or at
    `store`) and the price now in the cart's market (`price`: NULL when it no longer sells there),
    in one read."""

    units = available_at(store) if store is not None else available_online_of(CartLine)
    return (
        CartLine.objects.order_by("added_at", "id")
        .annotate(units=units)
        .values("quantity", "price_when_added", "units", **CART_LINE_FIELDS, price=price, **also)
    )


def _cart_price(cart: Cart | None):
    """A line's price now in its cart's market (that of `cart`, else of each line's own cart)."""
    if cart is None:
        return price_expression(market_id=OuterRef("cart__market_id"), currency=OuterRef("cart__currency"),
                                variant="variant")  # fmt: skip
    if cart.market_id is None:  # no line priced yet, or lines from before markets: the catalog's
        return Coalesce(F("variant__price_override"), F("variant__product__base_price"))
    return price_expression(market_id=cart.market_id, currency=cart.currency, variant="variant")


def cart_view(cart: Cart | None, *, store: Store | None = None) -> dict:
    """The cart with today's prices and stock: each line says if its price changed since it was
    added and how many units can be had (online: at shipping locations; with `store`: there).
    One query whatever the number of lines."""
    if cart is None:
        return dict(EMPTY_CART)
    head = {
        "token": cart.token if cart.customer_id is None else None,
        "status": cart.status,
        "updated_at": cart.updated_at,
        "channel": cart.channel,
        "sent_by": cart.built_by.get_full_name() if cart.built_by_id else None,
        "sent_at": cart.sent_at,
        "country": cart.country,
    }
    head["currency"] = market_currency(currency=cart.currency)
    return _cart_dict(head, list(_cart_lines(store, price=_cart_price(cart)).filter(cart=cart)), store)


def customer_cart_panel(customer: Customer) -> dict:
    """The shopper's open online cart for the clienteling panel, in one statement: its lines with
    the cart joined (an open cart without lines shows as the empty cart it is)."""
    lines = list(
        _cart_lines(
            None,
            price=_cart_price(None),
            cart_currency=F("cart__currency"),
            # a cart's currency when its lines predate markets: the home market's, read in this statement
            home_currency=Subquery(Market.objects.filter(is_home=True).values("currency")[:1]),
            cart_status=F("cart__status"),
            cart_updated_at=F("cart__updated_at"),
            cart_channel=F("cart__channel"),
            cart_sent_at=F("cart__sent_at"),
            built_by_name=F("cart__built_by__full_name"),
            built_by_email=F("cart__built_by__email"),
        ).filter(cart__customer=customer, cart__status=Cart.Status.OPEN)
    )
    if not lines:
        return dict(EMPTY_CART)
    first = lines[0]
    head = {
        "token": None,  # the shopper's own cart: no anonymous token to show
        "currency": market_currency(currency=first["cart_currency"] or first["home_currency"]),
        "status": first["cart_status"],
        "updated_at": first["cart_updated_at"],
        "channel": first["cart_channel"],
        "sent_by": (first["built_by_name"] or first["built_by_email"]) if first["built_by_email"] else None,
        "sent_at": first["cart_sent_at"],
    }
    return _cart_dict(head, lines, None)


def _cart_dict(head: dict, lines: list[dict], store: Store | None) -> dict:
    """`head` (token, currency, status, updated_at, channel, sent_by, sent_at) with the lines of `_cart_lines`."""
    out, subtotal, warnings, currency = [], money(0), [], head.get("currency")
    # the products' names, colours and sizes in the reader's language (one query, none for the catalog's own)
    named = attach_texts([Product(pk=line["product_id"], name=line["name"]) for line in lines], reading_order())
    products = {product.pk: product for product in named}
    for line in lines:
        sku, sellable, quantity = line["sku"], line["sellable"] and line["price"] is not None, line["quantity"]
        price = money(line["price"] if line["price"] is not None else line["price_when_added"])
        units = line["units"] if sellable else 0
        total = money(price * quantity)
        subtotal += total
        row = {
            "sku": sku,
            "name": products[line["product_id"]].display_name,
            "image_url": line["image_url"],
            "size": line["size"],
            "size_name": products[line["product_id"]].size_name(line["size"]),
            "colour": products[line["product_id"]].colour_name(line["colour"]),
            "quantity": quantity,
            "unit_price": str(price),
            "price_when_added": str(line["price_when_added"]),
            "price_changed": price != line["price_when_added"],
            "line_total": str(total),
            "available": units,
            "in_stock": sellable and units >= quantity,
        }
        if not sellable:
            warnings.append(_("%(sku)s is no longer sold.") % {"sku": sku})
        elif units < quantity and store:
            warnings.append(_("Only %(units)s of %(sku)s available at %(store)s.") % {"units": units, "sku": sku,
                                                                                      "store": store.code})  # fmt: skip
        elif units < quantity:
            warnings.append(_("Only %(units)s of %(sku)s available.") % {"units": units, "sku": sku})
        if row["price_changed"]:
            was, now = format_money(line["price_when_added"], currency), format_money(price, currency)
            warnings.append(_("The price of %(sku)s changed from %(was)s to %(now)s.") % {"sku": sku, "was": was,
                                                                                          "now": now})  # fmt: skip
        out.append(row)
    return {
        **head,
        "lines": out,
        "subtotal": str(subtotal),
        "item_count": sum(line["quantity"] for line in lines),
        "warnings": warnings,
    }


def open_cart_of(customer: Customer) -> Cart | None:
    return Cart.objects.filter(customer=customer, status=Cart.Status.OPEN).select_related("built_by").first()


# --------------------------------------------------------------------------- orders for people


def _order_detail_qs() -> QuerySet[Order]:
    return Order.objects.select_related("store", "payment_request", "seller").prefetch_related(
        Prefetch("lines", queryset=OrderLine.objects.order_by("line_number")),
        Prefetch("fulfillments", queryset=Fulfillment.objects.select_related("location", "carrier").order_by("pk")),
        "payments",
    )


def orders_of_customer(customer: Customer | None) -> QuerySet[Order]:
    if customer is None:
        return Order.objects.none()
    return _order_detail_qs().filter(customer=customer)


def order_for_owner(user: User, number: str) -> Order:
    """The order if `user` is the shopper it belongs to; otherwise the same 404 as a wrong number."""
    customer = customer_for_user(user)
    order = _order_detail_qs().filter(number=normalise_order_number(number) or number, customer=customer).first()
    if customer is None or order is None:
        raise OrderError(_("There is no order with this number on your account."), code=RetailCode.NOT_FOUND)
    return order


def tax_breakdown(order: Order) -> list[dict]:
    """The receipt's tax summary: per rate (lowest first), the net, tax and gross of the order's lines
    that recorded their tax (retail.domain.tax at checkout) and of its shipping charge. Reads the
    order's lines as prefetched."""
    rates: dict = {}
    for line in order.lines.all():
        if line.tax_amount is None:
            continue
        row = rates.setdefault(line.tax_rate, {"rate": line.tax_rate, "net": ZERO, "tax": ZERO, "gross": ZERO})
        row["net"] += line.net
        row["tax"] += line.tax_amount
        row["gross"] += line.total
    if order.shipping_tax is not None:  # taxed with the lines at checkout, in its rate's row
        row = rates.setdefault(
            order.shipping_tax_rate, {"rate": order.shipping_tax_rate, "net": ZERO, "tax": ZERO, "gross": ZERO}
        )
        row["net"] += order.shipping_net
        row["tax"] += order.shipping_tax
        row["gross"] += order.shipping_paid  # with its tax, inside the charge or on top
    return [rates[rate] for rate in sorted(rates)]


# --------------------------------------------------------------------------- staff


def order_for_staff(user: User, number: str) -> Order:
    """An order of one of the stores this staff member works in (head office: any)."""

    order = (
        _order_detail_qs()
        .select_related("customer")
        .prefetch_related("history")
        .filter(number=normalise_order_number(number) or number.strip().upper())
        .filter(Q(store__in=stores_for_user(user)) | Q(fulfillments__location__in=stores_for_user(user)))
        .distinct()
        .first()
    )
    if order is None:
        raise OrderError(_("No order %(number)s in your stores.") % {"number": number}, code=RetailCode.NOT_FOUND)
    return order


def _queue_filter(tab: str, now) -> Q:
    """Pick-up tabs hold pick-up and curbside orders; "to_ship" the ship-from-store orders to send."""
    sla = now - _pick_sla()
    if tab == "to_ship":
        return Q(kind=Fulfillment.Kind.SHIP, status__in=(S.PLACED, S.PICKING))
    return (
        Q(kind__in=Fulfillment.COLLECT_KINDS)
        & {
            "to_pick": Q(status=S.PLACED),
            "picking": Q(status=S.PICKING),
            "ready": Q(status=S.READY),  # on the shelf; those past their hold date are also in "overdue"
            "overdue": Q(status__in=(S.PLACED, S.PICKING), created_at__lt=sla) | Q(status=S.READY, hold_until__lte=now),
            "expired": Q(status=S.EXPIRED, closed_at__gte=now - timezone.timedelta(days=7)),
        }[tab]
    )


def _pick_sla():

    return pick_sla()


QUEUE_PAGE = 50


def _open_units():
    """The units still to hand over on a pick-up: its lines' quantities less what was cancelled."""
    units = (
        OrderLine.objects.filter(fulfillment=OuterRef("pk"))
        .values("fulfillment")
        .annotate(n=Sum(F("quantity") - F("cancelled_quantity")))
        .values("n")
    )
    return Coalesce(Subquery(units), 0)


QUEUE_ROW_FIELDS = (
    "pk", "kind", "status", "proxy_name", "hold_until", "arrived_at", "arrival_note", "created_at", "promised_at",
    "order__number", "order__channel", "order__contact_name",
)  # fmt: skip


def pickup_queue(*, store: Store, tab: str, page: int = 1, limit: int = QUEUE_PAGE) -> list[dict]:
    """One page of a tab of a store's pick-up queue, oldest first; curbside arrivals first. One query.

    Plain rows (`QUEUE_ROW_FIELDS` plus `units`, the open quantity of its lines, and `overdue`),
    not model instances: the screen shows a handful of columns of up to `QUEUE_PAGE` pick-ups.
    """
    if tab not in QUEUE_TABS:
        raise OrderError(
            _("The queue has tabs %(value)s.") % {"value": ", ".join(QUEUE_TABS)}, code=OrderCode.INVALID_TAB
        )
    now = timezone.now()
    qs = (
        Fulfillment.objects.filter(location=store)
        .filter(_queue_filter(tab, now))
        .annotate(units=_open_units())
        .order_by("arrived_at", "created_at", "pk")
        .values(*QUEUE_ROW_FIELDS, "units")
    )
    start = (max(1, page) - 1) * limit
    return _with_overdue(list(qs[start : start + limit]), now)


def _with_overdue(rows: list[dict], now) -> list[dict]:
    """Mark the rows past the pick promise (placed/picking) or past their hold date (ready)."""
    sla = now - _pick_sla()
    for row in rows:
        row["overdue"] = (row["status"] in (S.PLACED, S.PICKING) and row["created_at"] < sla) or (
            row["status"] == S.READY and row["hold_until"] <= now
        )
    return rows


ARRIVALS_SHOWN = 20


def curbside_arrivals(*, store: Store, limit: int = ARRIVALS_SHOWN) -> list[dict]:
    """Curbside shoppers waiting outside this store, whatever their order's tab: longest wait first.

    Open curbside pick-ups the shopper announced ("I'm here"), placed, picking or ready; plain rows
    like `pickup_queue`'s (`QUEUE_ROW_FIELDS` plus `units` and `overdue`). One query; the queue shows them above
    every tab, and `queue_counts()["arrived"]` counts the same rows (a test holds them equal).
    """
    rows = (
        Fulfillment.objects.filter(
            location=store, kind=Fulfillment.Kind.CURBSIDE, status__in=Fulfillment.OPEN_STATUSES,
            arrived_at__isnull=False,
        )
        .annotate(units=_open_units())
        .order_by("arrived_at", "pk")
        .values(*QUEUE_ROW_FIELDS, "units")
    )  # fmt: skip
    return _with_overdue(list(rows[:limit]), timezone.now())


# The statuses some count of `queue_counts` looks at: the WHERE that lets the (location, status)
# index skip a store's years of collected and cancelled pick-ups.
_COUNTED_STATUSES = (S.PLACED, S.PICKING, S.READY, S.EXPIRED)


def queue_counts(*, store: Store) -> dict[str, int]:
    """Counts of every queue tab, of curbside arrivals and of pick-ups waiting, in one query.

    The one source of these numbers: the tabs, the dashboard's pick-ups tile and its "today" tile.
    `waiting` (every open pick-up or curbside order) is to_pick + picking + ready; `overdue` is
    the late ones among them, shown in their own tab too.

    The query groups the store's counted pick-ups by (status, kind) with four conditional counts;
    the tabs are summed here from those few groups, by the same rules as `_queue_filter` (a test
    holds them equal). Cheaper to build than one filtered count per tab, the same index scan.
    """
    now = timezone.now()
    groups = (
        Fulfillment.objects.filter(location=store, status__in=_COUNTED_STATUSES)
        .values("status", "kind")
        .order_by()
        .annotate(
            n=Count("pk"),
            late=Count("pk", filter=Q(created_at__lt=now - _pick_sla())),
            held=Count("pk", filter=Q(hold_until__gt=now)),
            recent=Count("pk", filter=Q(closed_at__gte=now - timezone.timedelta(days=7))),
            arrived=Count("pk", filter=Q(arrived_at__isnull=False)),
        )
    )
    counts = dict.fromkeys((*QUEUE_TABS, "arrived", "waiting"), 0)
    for group in groups:
        status, kind, n = group["status"], group["kind"], group["n"]
        if kind == Fulfillment.Kind.SHIP:
            counts["to_ship"] += n if status in (S.PLACED, S.PICKING) else 0
            continue
        if kind not in Fulfillment.COLLECT_KINDS:
            continue
        if status in (S.PLACED, S.PICKING):
            counts["to_pick" if status == S.PLACED else "picking"] += n
            counts["overdue"] += group["late"]
        elif status == S.READY:  # a ready pick-up always has a hold date (a check constraint)
            counts["ready"] += n
            counts["overdue"] += n - group["held"]
        elif status == S.EXPIRED:
            counts["expired"] += group["recent"]
        if kind == Fulfillment.Kind.CURBSIDE and status in Fulfillment.OPEN_STATUSES:
            counts["arrived"] += group["arrived"]
    # every pick-up not yet handed over is in exactly one of these three tabs ("overdue" overlaps them)
    counts["waiting"] = counts["to_pick"] + counts["picking"] + counts["ready"]
    return counts


def pick_list(*, store: Store, fulfillment_id: int) -> Fulfillment:
    f = (
        Fulfillment.objects.filter(pk=fulfillment_id, location=store)
        .select_related("order__customer", "order__payment_request", "location")
        .prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.select_related("variant").order_by("line_number"))
        )
        .first()
    )
    if f is None:
        raise OrderError(_("No such pick-up in this store."), code=RetailCode.NOT_FOUND)
    return f


def find_for_counter(*, store: Store, text: str) -> tuple[Fulfillment, str]:
    """What the associate scanned or typed at the counter -> (pick-up, how it was identified).

    A QR scan (OMNI-PICKUP:<token>), a 6-digit pick-up code, or an order number.
    """
    code = read_code(text)
    base = Fulfillment.objects.filter(location=store, kind__in=Fulfillment.COLLECT_KINDS).select_related(
        "order__customer", "order__store", "order__payment_request", "location"
    )
    if code.qr(QR_PREFIX):
        found, how = base.filter(qr_token=code.qr(QR_PREFIX)).first(), "qr"
    elif code.pickup_code:
        found, how = base.filter(pickup_code=code.pickup_code, status__in=Fulfillment.OPEN_STATUSES).first(), "code"
    else:
        number = code.order_number
        found = base.filter(order__number=number).order_by("-pk").first() if number else None
        how = "order_id"
    if found is None:
        raise OrderError(
            _("No pick-up here matches that code. Check the code, or search by order number."),
            code=OrderCode.CODE_NOT_FOUND,
        )
    return found, how


def search_orders(*, user: User, query: str = "", store: Store | None = None, limit: int = 50) -> list[Order]:
    """Portal order search: by number, receipt, or the shopper's email/phone/name, in the user's stores."""

    qs = Order.objects.select_related("store", "customer").filter(store__in=stores_for_user(user))
    if store is not None:
        qs = qs.filter(Q(store=store) | Q(fulfillments__location=store))
    code = read_code(query)
    if code:
        # one reading of what was typed: an order number, a till receipt, an email, a phone in any format, a name
        match = Q(number=code.order_number or code.compact) | Q(receipt_number=code.text)
        if code.email:
            match |= Q(email__iexact=code.email)
        if code.phone:
            match |= Q(phone__in=sorted({code.phone, code.text})) | Q(customer__phone=code.phone)
        elif not code.order_number:
            match |= Q(contact_name__icontains=code.text)
        qs = qs.filter(match)
    return list(qs.distinct().order_by("-placed_at", "-id")[:limit])


# The lines of an order (or of one fulfilment) named for people: product name, quantity and the
# product's picture, as one JSON array in the row that lists them (no statement per row). Written
# out: as ArraySubquery(JSONObject(...)) the ORM spent more Python resolving and compiling it, twice
# per clienteling screen, than the database spent running it; the SQL is the one the ORM wrote.
_ITEMS_SQL = """ARRAY(
    SELECT jsonb_build_object('name', l.name, 'quantity', l.quantity, 'image', p.image_url)
    FROM {line} l JOIN {variant} v ON v.id = l.variant_id JOIN {product} p ON p.id = v.product_id
    WHERE l.{column} = {outer}.id ORDER BY l.line_number)"""


def _items(outer, column: str) -> RawSQL:
    """`item_rows` of each row of `outer` (Order or Fulfillment), the lines whose `column` points at it."""
    variant = OrderLine._meta.get_field("variant").related_model
    sql = _ITEMS_SQL.format(
        line=OrderLine._meta.db_table,
        variant=variant._meta.db_table,
        product=variant._meta.get_field("product").related_model._meta.db_table,
        column=OrderLine._meta.get_field(column).column,
        outer=outer._meta.db_table,
    )
    return RawSQL(sql, [], output_field=ArrayField(JSONField()))  # noqa: S611 - table names, no values


def customer_orders_panel(*, customer_id: int, limit: int = 10) -> dict:
    """Clienteling panels: recent orders on every channel, each with its fulfilments as
    `listed_fulfillments`, and the open pick-ups (older ones too); orders and pick-ups carry their
    items as `item_rows` ({name, quantity, image}). Two queries: the orders, then one read of the
    fulfilments of those orders and of the open pick-ups together (the items as JSON arrays).

    Rows are dicts of what the panels show, with their labels (`channel_label`, `kind_label`,
    `status_label`): read as values, not models with their store, order and location (~20
    columns each, which the ORM spent more Python compiling and building than the statements cost)."""
    orders = list(
        Order.objects.filter(customer_id=customer_id)
        .annotate(item_rows=_items(Order, "order"))
        .order_by("-placed_at", "-id")
        .values(
            "id",
            "number",
            "placed_at",
            "channel",
            "total",
            "currency",
            "item_rows",
            store_code=F("store__code"),
            store_zone=F("store__time_zone"),
        )[:limit]
    )
    # The shopper's orders lead (their customer index), then each order's fulfilments by order_id;
    # of those, the recent orders' and the open pick-ups. (An OR of two subqueries scanned the table.)
    open_pickup = Q(kind__in=Fulfillment.COLLECT_KINDS, status__in=Fulfillment.OPEN_STATUSES)
    fulfillments = list(
        Fulfillment.objects.filter(order__customer_id=customer_id)
        .filter(Q(order_id__in=[o["id"] for o in orders]) | open_pickup)
        .annotate(item_rows=_items(Fulfillment, "fulfillment"))
        .order_by("created_at", "pk")
        .values(
            *("id", "order_id", "kind", "status", "hold_until", "arrived_at", "location_id", "item_rows"),
            order_number=F("order__number"),
            location_name=F("location__name"),
            location_zone=F("location__time_zone"),
        )
    )
    channels = dict(channel_choices())  # once per read: the kernel's set, a channel added as data too
    for order in orders:
        order["channel_label"] = channels.get(order["channel"], order["channel"])
        order["store_zone"] = zone_named(order["store_zone"])  # its day on the selling store's calendar
    by_order: dict[int, list[dict]] = {}
    for f in fulfillments:
        f["location_zone"] = zone_named(f["location_zone"])  # "until" on the pick-up store's clock
        f["kind_label"] = FULFILLMENT_KINDS.get(f["kind"], f["kind"])
        f["status_label"] = FULFILLMENT_STATUSES.get(f["status"], f["status"])
        by_order.setdefault(f["order_id"], []).append(f)
    for order in orders:
        order["listed_fulfillments"] = sorted(by_order.get(order["id"], []), key=lambda f: f["id"])
    pickups = [
        f for f in fulfillments if f["kind"] in Fulfillment.COLLECT_KINDS and f["status"] in Fulfillment.OPEN_STATUSES
    ]
    return {"orders": orders, "pickups": pickups}
