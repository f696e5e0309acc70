from orders.models.carts import Cart, CartLine, SavedCart
from orders.models.orders import Fulfillment, Order, OrderLine, StatusChange
from orders.models.payments import Notification, Payment, PaymentRequest

__all__ = [
    "Cart",
    "CartLine",
    "Fulfillment",
    "Notification",
    "Order",
    "OrderLine",
    "Payment",
    "PaymentRequest",
    "SavedCart",
    "StatusChange",
]
