"""The returns panel of the clienteling screen (registered by ReturnsConfig.ready)."""

from customers.portal.panels import panel_content
from orders.returns import selectors


@panel_content("returns", template="returns/partials/customer_returns.html")
def returns_panel(request, customer) -> dict:
    return {"returns": selectors.customer_returns_panel(customer_id=customer.pk)}
