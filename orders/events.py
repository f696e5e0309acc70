"""Webhook events of the orders app: order.*, pickup.*, shipment.shipped.

The data names the order, its store and its customer by id and carries no contact details: a
receiver that needs them asks with its own credentials.
"""

from retail.domain.money import money
from webhooks.events import record_event, record_events


def order_data(order) -> dict:
    """The order's head; its money in `currency`: total = subtotal - discount_total + tax_added + shipping_total."""
    currency = order.currency
    return {
        "id": order.pk,
        "number": order.number,
        "channel": order.channel,
        "store": order.store.code if order.store_id else None,
        "customer_id": order.customer_id,
        "status": order.status,
        "currency": order.currency,
        "subtotal": str(money(order.subtotal, currency)),
        "discount_total": str(money(order.discount_total, currency)),
        "tax_added": str(money(order.tax_added, currency)),
        "shipping_total": str(money(order.shipping_total, currency)),
        "total": str(money(order.total, currency)),
        "placed_at": order.placed_at.isoformat().replace("+00:00", "Z"),
    }


def fulfillment_data(fulfillment) -> dict:
    return {
        "id": fulfillment.pk,
        "kind": fulfillment.kind,
        "location": fulfillment.location.code,
        "status": fulfillment.status,
    }


def order_event_data(order, *, fulfillment=None, lines=None, fulfillments=None, **extra) -> dict:
    data = {"order": order_data(order), **extra}
    if fulfillment is not None:
        data["fulfillment"] = fulfillment_data(fulfillment)
    if fulfillments is not None:
        data["fulfillments"] = [fulfillment_data(f) for f in fulfillments]
    if lines is not None:
        data["lines"] = [
            {
                "line_number": line.line_number,
                "sku": line.sku,
                "quantity": line.quantity,
                "unit_price": str(money(line.unit_price, order.currency)),
                "total": str(money(line.total, order.currency)),
                "fulfillment_id": line.fulfillment_id,
            }
            for line in lines
        ]
    return data


def record_pos_orders(orders_and_fulfillments, lines) -> None:
    """order.placed for a batch of till sales, in one insert."""
    by_order: dict[int, list] = {}
    for line in lines:
        by_order.setdefault(line.order_id, []).append(line)
    record_events(
        [
            ("order.placed", order_event_data(o, fulfillments=[f], lines=by_order.get(o.pk, [])), f"order:{o.pk}")
            for o, f in orders_and_fulfillments
        ]
    )


def record_order_event(type: str, order, **parts) -> None:
    record_event(type=type, data=order_event_data(order, **parts), key=f"order:{order.pk}")
