from orders.models.carts import Cart, CartLine, SavedCart
from orders.models.orders import Fulfillment, Order, OrderLine, StatusChange
from orders.models.payments import Notification, Payment, PaymentRequest
from orders.models.shipping import Carrier, ShippingBand, ShippingMethod

__all__ = [
    "Carrier",
    "Cart",
    "CartLine",
    "Fulfillment",
    "Notification",
    "Order",
    "OrderLine",
    "Payment",
    "PaymentRequest",
    "SavedCart",
    "ShippingBand",
    "ShippingMethod",
    "StatusChange",
]
