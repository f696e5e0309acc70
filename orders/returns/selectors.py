"""Reads of the returns app, shaped for the API, the desk and the dashboard (constant queries)."""

from datetime import timedelta

from django.contrib.postgres.fields import ArrayField
from django.db.models import Count, Exists, F, JSONField, OuterRef, Prefetch, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory.models import Variant
from orders.models import Fulfillment, Order, OrderLine
from orders.returns.errors import ReturnError
from orders.returns.models import Reason, ReturnLine, ReturnRequest
from orders.returns.numbers import normalise_rma_number, qr_token_from
from orders.returns.services.facts import (
    Item,
    judge_items,
    local_date,
    offer_facts,
    order_market,
    price_receipted,
    price_receiptless,
    return_market,
    rules_for_market,
    units_in_returns,
)
from retail.domain.channel import channel_choices
from retail.domain.codes import read_code
from retail.errors import RetailCode
from retail.models import Market, Store
from retail.models.markets import home_market_id


def _detail_qs() -> QuerySet[ReturnRequest]:
    return ReturnRequest.objects.select_related(
        "order", "customer", "store", "started_store", "approved_by", "exchange_order"
    ).prefetch_related(Prefetch("lines", queryset=ReturnLine.objects.select_related("order_line").order_by("pk")))


def returns_of_customer(customer) -> QuerySet[ReturnRequest]:
    if customer is None:
        return ReturnRequest.objects.none()
    return _detail_qs().filter(customer=customer)


def return_for_owner(customer, rma_number: str) -> ReturnRequest:
    """The shopper's own return; another shopper's RMA gets the same 404 as an unknown one."""
    found = returns_of_customer(customer).filter(rma_number=normalise_rma_number(rma_number) or rma_number).first()
    if found is None:
        raise ReturnError(_("There is no return with this number on your account."), code=RetailCode.NOT_FOUND)
    return found


def find_return(text: str) -> ReturnRequest | None:
    """A scanned QR payload (OMNI-RETURN:<token>) or a typed RMA number -> the return, else None."""
    token = qr_token_from(text)
    if token:
        return _detail_qs().filter(qr_token=token).first()
    number = normalise_rma_number(text)
    return _detail_qs().filter(rma_number=number).first() if number else None


def _order_qs(*, payments: bool = True) -> QuerySet[Order]:
    lines = Prefetch(
        "lines",
        queryset=OrderLine.objects.select_related("fulfillment", "variant__product__category__parent").order_by(
            "line_number"
        ),
    )
    qs = Order.objects.select_related("store", "customer")
    return qs.prefetch_related(lines, "payments") if payments else qs.prefetch_related(lines)


def find_order(text: str, *, payments: bool = True) -> Order | None:
    """An order by its number (typed or scanned) or by a till receipt number. Without `payments`
    (the verdicts and the desk's submission, which do not show them) one query fewer.

    Only orders the shopper has received something of (collected, carried out or shipped): an
    order still waiting to be picked up (in any store) has nothing to return, and its name, items
    and card are the pick-up counter's business, not the returns desk's (issue 13).
    """
    code = read_code(text)
    if not code:
        return None
    numbers = {code.order_number, code.text, code.compact} - {""}
    delivered = Exists(
        Fulfillment.objects.filter(
            order=OuterRef("pk"), status__in=[Fulfillment.Status.COLLECTED, Fulfillment.Status.SHIPPED]
        )
    )
    orders = _order_qs(payments=payments).filter(delivered)
    found = orders.filter(number__in=numbers).first()
    return found or orders.filter(receipt_number=code.text).order_by("-placed_at").first()


def returnable_orders_of(customer, *, limit: int = 20, offset: int = 0) -> list[Order]:
    """The shopper's delivered purchases, newest first (the desk's "find through the profile"); three
    queries, using the customer's orders index whatever their number. Only the columns the list
    shows (a page is 20 orders and their lines: no addresses, notes or totals it does not print)."""
    delivered = Fulfillment.objects.filter(
        order=OuterRef("pk"), status__in=[Fulfillment.Status.COLLECTED, Fulfillment.Status.SHIPPED]
    )
    lines = OrderLine.objects.only("order_id", "line_number", "quantity", "name", "size").order_by("line_number")
    return list(
        Order.objects.filter(customer=customer)
        .filter(Exists(delivered))
        .select_related("store")
        .only(
            "number",
            "receipt_number",
            "placed_at",
            "channel",
            "total",
            "currency",
            "customer_id",
            "store__name",
            "store__code",
        )
        .prefetch_related(Prefetch("lines", queryset=lines))
        .order_by("-placed_at", "-id")[offset : offset + limit]
    )


def returns_in_progress(*, store: Store, limit: int = 100) -> list[ReturnRequest]:
    """Returns this store is working on: received or inspected here and not refunded, plus online
    returns started for this store (requested); one query whatever their number."""
    return list(
        ReturnRequest.objects.filter(
            Q(store=store, status__in=[ReturnRequest.Status.RECEIVED, ReturnRequest.Status.INSPECTED])
            | Q(started_store=store, status=ReturnRequest.Status.REQUESTED)
        )
        .select_related("order", "customer")
        .order_by("created_at", "id")[:limit]
    )


def recent_returns(*, store: Store, days: int = 7, limit: int = 20) -> list[ReturnRequest]:
    since = timezone.now() - timedelta(days=days)
    return list(
        ReturnRequest.objects.filter(store=store, closed_at__gte=since, status__in=ReturnRequest.DONE_STATUSES)
        .select_related("order", "customer")
        .order_by("-closed_at", "-id")[:limit]
    )


def waiting_counts(*, store: Store) -> dict[str, int]:
    """Dashboard tile: returns waiting in this store, by stage (one query)."""
    counts = ReturnRequest.objects.filter(
        Q(store=store, status__in=[ReturnRequest.Status.RECEIVED, ReturnRequest.Status.INSPECTED])
        | Q(started_store=store, status=ReturnRequest.Status.REQUESTED)
    ).aggregate(
        requested=Count("id", distinct=True, filter=Q(status=ReturnRequest.Status.REQUESTED)),
        received=Count("id", distinct=True, filter=Q(status=ReturnRequest.Status.RECEIVED)),
        inspected=Count("id", distinct=True, filter=Q(status=ReturnRequest.Status.INSPECTED)),
    )
    return counts


# Each return's lines as one JSON array. Written out: as ArraySubquery(JSONObject(...)) the ORM spent
# more Python resolving and compiling it than the database spent running it; the SQL is the ORM's.
_LINES_SQL = """ARRAY(
    SELECT jsonb_build_object('quantity', l.quantity, 'name', l.name, 'reason', l.reason, 'image', p.image_url)
    FROM {line} l JOIN {variant} v ON v.id = l.variant_id JOIN {product} p ON p.id = v.product_id
    WHERE l.request_id = {request}.id ORDER BY l.id)"""


def customer_returns_panel(*, customer_id: int, limit: int = 10) -> list[dict]:
    """Clienteling panel: the shopper's returns on every channel, each with its lines as
    `listed_lines` ({quantity, name, reason_label}), in one query (the lines as a JSON array).

    Rows are dicts of what the panel shows (`status_label`, `is_open`, the order's number and
    channel label, the store's name): values, not requests with their order and store (~60
    columns to compile and build, for five of them)."""
    lines = RawSQL(  # noqa: S611 - table names, no values
        _LINES_SQL.format(
            line=ReturnLine._meta.db_table,
            variant=Variant._meta.db_table,
            product=Variant._meta.get_field("product").related_model._meta.db_table,
            request=ReturnRequest._meta.db_table,
        ),
        [],
        output_field=ArrayField(JSONField()),
    )
    returns = list(
        ReturnRequest.objects.filter(customer_id=customer_id)
        .annotate(line_rows=lines)
        .order_by("-created_at", "-id")
        .values(
            *("rma_number", "status", "refund_total", "currency", "created_at", "line_rows"),
            order_number=F("order__number"),
            order_channel=F("order__channel"),
            store_name=F("store__name"),
        )[:limit]
    )
    reasons, channels = dict(Reason.choices), dict(channel_choices())
    for r in returns:
        r["is_open"] = r["status"] in ReturnRequest.OPEN_STATUSES
        r["status_label"] = RETURN_STATUSES.get(r["status"], r["status"])
        r["order_channel_label"] = channels.get(r["order_channel"], r["order_channel"])
        r["listed_lines"] = [
            {**row, "reason_label": reasons.get(row["reason"], row["reason"])} for row in r["line_rows"]
        ]
    return returns


RETURN_STATUSES = dict(ReturnRequest.Status.choices)


def preview_return(
    *,
    order: Order | None,
    lines: list,
    method: str = ReturnRequest.Method.IN_STORE,
    customer=None,
    return_request: ReturnRequest | None = None,
    store: Store | None = None,
):
    """What the policy says about these lines, without writing anything: (items, the return's verdict).

    `lines` are services.LineRequest. For a return already started (`return_request`), its own units are
    not counted as "already returned" and the window counts from the day it was started. The policy is
    the selling market's (services.facts.order_market); without a receipt, the market's of the store
    it is brought to (`store`, or the return's), whose prices credit it: SKUs it does not sell are left out.
    """
    if return_request is not None:
        market = return_market(return_request)
    elif order is not None:
        market = order_market(order)
    else:
        market = store.market if store is not None else None
    rules = rules_for_market(market)
    started = return_request.created_at if return_request is not None else timezone.now()
    today = local_date(started, order)  # the selling store's days
    exclude = return_request.pk if return_request is not None else None
    items: list[Item] = []
    offer = None
    if order is not None:
        prefetched = getattr(order, "_prefetched_objects_cache", {}).get("lines")
        rows = (
            prefetched
            if prefetched is not None
            else OrderLine.objects.filter(order=order).select_related(
                "fulfillment", "variant__product__category__parent"
            )
        )
        order_lines = {line.line_number: line for line in rows}
        for spec in lines:
            line = order_lines.get(spec.line_number)
            if line is not None:
                items.append(
                    Item(quantity=spec.quantity, reason=spec.reason, condition=spec.condition, order_line=line)
                )
        done = units_in_returns(
            [line.pk for line in order_lines.values()], statuses=ReturnRequest.DONE_STATUSES, exclude_request=exclude
        )
        price_receipted(items, already=done)
        returning: dict[int, int] = {}
        for item in items:
            returning[item.order_line.pk] = returning.get(item.order_line.pk, 0) + item.quantity
        offer = offer_facts(order, list(order_lines.values()), returning=returning, done=done)
    else:
        variants = {
            v.sku: v
            for v in Variant.objects.filter(sku__in=[spec.sku for spec in lines]).select_related(
                "product__category__parent"
            )
        }
        for spec in lines:
            if spec.sku in variants:
                items.append(
                    Item(
                        quantity=spec.quantity, reason=spec.reason, condition=spec.condition, variant=variants[spec.sku]
                    )
                )
        price_receiptless(
            items,
            rules=rules,
            market=market or Market.objects.get(pk=home_market_id()),
            now=return_request.created_at if return_request is not None else None,
            strict=False,
        )
    verdict = judge_items(
        items,
        rules=rules,
        order=order,
        today=today,
        method=method,
        customer=customer,
        offer=offer,
        exclude_request=exclude,
    )
    return items, verdict
