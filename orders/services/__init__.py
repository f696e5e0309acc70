"""Writes of the orders app. Other apps (returns) call these; see each module for the rules.

carts:     open_cart_for, create_anonymous_cart, replace_cart_lines, set_cart_line, set_cart_country,
           merge_anonymous_cart, send_cart_to_customer
checkout:  place_order (GroupRequest, TenderRequest), cart_to_check_out; steps named in orders.services.checkout
discounts: redeem_discounts (an offer, then points: checkout's and the till's)
pickups:   start_picking, scan_pick, short_pick, mark_ready, record_arrival, hand_over_pickup,
           ship_fulfillment
saved:     save_cart_for_customer, reopen_saved_cart, send_saved_cart, open_sent_cart
lifecycle: send_pickup_reminder, expire_pickup, cancel_order
payments:  settle_payments, refund_payment, owed_amount
pos:       record_pos_sale (PosSale), record_pos_sales (a till's offline batch: PosResult per receipt)
shared:    NOTIFY_TOPIC (the outbox topic of shoppers' messages), notifications_muted (demo seed),
           pick_sla (how long a pick-up may wait to be picked)
"""

from orders.services._common import NOTIFY_TOPIC, notifications_muted
from orders.services._transitions import pick_sla
from orders.services.carts import (
    create_anonymous_cart,
    merge_anonymous_cart,
    open_cart_for,
    replace_cart_lines,
    send_cart_to_customer,
    set_cart_country,
    set_cart_line,
)
from orders.services.checkout import GroupRequest, cart_to_check_out, place_order
from orders.services.lifecycle import cancel_order, expire_pickup, send_pickup_reminder
from orders.services.payments import TenderRequest, owed_amount, refund_payment, settle_payments
from orders.services.pickups import (
    hand_over_pickup,
    mark_ready,
    record_arrival,
    scan_pick,
    ship_fulfillment,
    short_pick,
    start_picking,
)
from orders.services.pos import MAX_BATCH as MAX_POS_BATCH
from orders.services.pos import PosResult, PosSale, record_pos_sale, record_pos_sales
from orders.services.saved_carts import open_sent_cart, reopen_saved_cart, save_cart_for_customer, send_saved_cart

__all__ = [
    "MAX_POS_BATCH",
    "NOTIFY_TOPIC",
    "GroupRequest",
    "PosResult",
    "PosSale",
    "TenderRequest",
    "cancel_order",
    "cart_to_check_out",
    "create_anonymous_cart",
    "expire_pickup",
    "hand_over_pickup",
    "mark_ready",
    "merge_anonymous_cart",
    "notifications_muted",
    "open_cart_for",
    "open_sent_cart",
    "owed_amount",
    "pick_sla",
    "place_order",
    "record_arrival",
    "record_pos_sale",
    "record_pos_sales",
    "refund_payment",
    "reopen_saved_cart",
    "replace_cart_lines",
    "save_cart_for_customer",
    "scan_pick",
    "send_cart_to_customer",
    "send_pickup_reminder",
    "send_saved_cart",
    "set_cart_country",
    "set_cart_line",
    "settle_payments",
    "ship_fulfillment",
    "short_pick",
    "start_picking",
]
