"""What orders tell the shopper's timeline, as sentences worded in the reader's language.

Services record `say("orders.ready", order=..., store=...)` (customers.timeline_messages): the key and
its params are stored, the words are the reader's. Registered when the app is ready (orders/apps.py).
"""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from customers.models import Consent
from orders.models import Fulfillment
from retail.messages import Sentence, amount, register_sentences, store_time, where_bought


def contact_channels(codes: list) -> str:
    """Email, SMS, push: the ways a shopper was told, as the reader says them."""
    labels = dict(Consent.Channel.choices)
    return ", ".join(str(labels.get(code, code)) for code in codes)


def fulfilment_kinds(codes: list) -> str:
    """Pick-up in store, Ship to address...: how an order is fulfilled, as the reader says it."""
    labels = dict(Fulfillment.Kind.choices)
    return ", ".join(sorted(str(labels.get(code, code)) for code in set(codes)))


register_sentences(
    {
        # Translators: a timeline entry; %(kinds)s lists how it is fulfilled ("Pick-up in store, Ship to address")
        "orders.placed": Sentence(_("Order %(order)s · %(kinds)s"), {"kinds": fulfilment_kinds}),
        "orders.bought_in_store": Sentence(_("Bought in %(store)s (receipt %(receipt)s)")),
        "orders.picking": Sentence(_("Order %(order)s is being picked at %(store)s")),
        # Translators: units of a product, with the multiplication sign between them ("2 x Linen shirt")
        "orders.short_cancelled": Sentence(_("%(order)s: %(units)s × %(product)s out of stock, not charged")),  # noqa: RUF001
        "orders.short_rerouted": Sentence(_("%(order)s: %(units)s × %(product)s will come from %(store)s")),  # noqa: RUF001
        "orders.ready": Sentence(_("Order %(order)s ready to collect at %(store)s")),
        "orders.arrived_curbside": Sentence(_("Arrived for curbside pick-up of %(order)s")),
        "orders.collected": Sentence(_("Collected %(order)s at %(store)s")),
        # Translators: %(person)s is who collected the order for the shopper
        "orders.collected_by_proxy": Sentence(_("Collected %(order)s at %(store)s (by %(person)s)")),
        "orders.shipped": Sentence(_("Order %(order)s shipped from %(store)s")),
        # Translators: %(until)s is a day, month and time on the store's clock ("3 December 19:30")
        "orders.reminder": Sentence(_("Reminder: %(order)s waits at %(store)s until %(until)s"), {"until": store_time}),
        "orders.expired": Sentence(_("Order %(order)s not collected: cancelled and refunded")),
        "orders.cancelled": Sentence(_("Order %(order)s cancelled")),
        # Translators: %(reason)s is what the shopper or the store typed
        "orders.cancelled_because": Sentence(_("Order %(order)s cancelled (%(reason)s)")),
        "orders.cancelled_unpaid_link": Sentence(_("Order %(order)s cancelled: the pay-by-link was not paid in time")),
        "orders.cancelled_unpaid_till": Sentence(_("Order %(order)s cancelled: not paid at the till in time")),
        "orders.pay_link_sent": Sentence(_("Pay-by-link sent for %(order)s (%(amount)s)"), {"amount": amount}),
        # Translators: %(brand)s is the card's brand (Visa), %(last4)s its last four digits
        "orders.paid_by_link": Sentence(_("Order %(order)s paid by link, %(brand)s ···%(last4)s")),
        "orders.paid_at_till": Sentence(_("Order %(order)s paid at the till, receipt %(receipt)s")),
        "orders.cart_sent_online": Sentence(
            ngettext_lazy(
                "%(associate)s sent %(count)s item to the online cart",
                "%(associate)s sent %(count)s items to the online cart",
                "count",
            )
        ),
        # Translators: %(channels)s lists how the shopper was told ("Email, SMS")
        "orders.saved_cart_sent": Sentence(
            ngettext_lazy(
                "Cart sent: %(count)s item by %(associate)s (%(channels)s)",
                "Cart sent: %(count)s items by %(associate)s (%(channels)s)",
                "count",
            ),
            {"channels": contact_channels},
        ),
        # Translators: %(where)s is where the shopper opened it ("in the app", "on the web")
        "orders.saved_cart_opened": Sentence(
            ngettext_lazy(
                "Cart opened %(where)s: %(count)s item sent from %(store)s",
                "Cart opened %(where)s: %(count)s items sent from %(store)s",
                "count",
            ),
            {"where": where_bought},
        ),
        # Translators: a loyalty points entry's note: the points a pick-up order redeemed, given back
        "orders.points_given_back": Sentence(_("Order %(order)s was not collected: points given back")),
    }
)
