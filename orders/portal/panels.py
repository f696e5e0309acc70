"""The orders app's panels on the clienteling screen (orders, pick-ups, online cart).

Registered by OrdersConfig.ready; the screen (customers) places them. The orders and pick-ups
panels render in the same request and share one read of the shopper's orders and fulfilments.
"""

from customers.portal.panels import panel_content
from orders import selectors
from retail.portal.access import per_request


def _orders_and_pickups(request, customer) -> dict:
    return per_request(
        request, ("customer-orders", customer.pk), lambda: selectors.customer_orders_panel(customer_id=customer.pk)
    )


@panel_content("orders", template="orders/partials/customer_orders.html")
def orders_panel(request, customer) -> dict:
    return {"orders": _orders_and_pickups(request, customer)["orders"]}


@panel_content("pickups", template="orders/partials/customer_pickups.html")
def pickups_panel(request, customer) -> dict:
    return {"pickups": _orders_and_pickups(request, customer)["pickups"]}


@panel_content("cart", template="orders/partials/customer_cart.html")
def cart_panel(request, customer) -> dict:
    return {"cart": selectors.customer_cart_panel(customer)}
