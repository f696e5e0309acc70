"""Shipping at checkout (issue 19.4): the methods that ship a cart to a country, with their price.
Checkout takes the chosen method's id (`shipping_method`, orders.api.views.CheckoutView)."""

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from customers.models import Customer
from customers.selectors import customer_for_user
from orders import selectors
from orders.api.permissions import IsShopper
from orders.errors import OrderError
from orders.models import Cart
from orders.services.shipping import CartShipping, cart_shipping
from retail.api.authentication import SHOPPER_AUTHENTICATION
from retail.errors import RetailCode


class ShippingOptionOutput(serializers.Serializer):
    id = serializers.IntegerField(source="method.pk", help_text="Send it as `shipping_method` at checkout.")
    code = serializers.CharField(source="method.code")
    name = serializers.CharField(source="method.name")
    carrier = serializers.CharField(source="method.carrier.name", default=None)
    price = serializers.DecimalField(max_digits=10, decimal_places=2)
    free = serializers.BooleanField(source="quote.free", help_text="Free because the goods reach `free_over`.")
    free_over = serializers.DecimalField(source="method.free_over", max_digits=12, decimal_places=2, allow_null=True)
    min_days = serializers.IntegerField(source="method.min_days", allow_null=True)
    max_days = serializers.IntegerField(source="method.max_days", allow_null=True)


class CartShippingOutput(serializers.Serializer):
    country = serializers.CharField()
    currency = serializers.CharField()
    goods = serializers.DecimalField(max_digits=12, decimal_places=2, help_text="The cart at today's prices.")
    weight_grams = serializers.IntegerField(source="grams", allow_null=True, help_text="null: an item has no weight.")
    methods = ShippingOptionOutput(many=True, source="options")


COUNTRY = OpenApiParameter(
    "country",
    OpenApiTypes.STR,
    required=False,
    pattern="^[A-Z]{2}$",
    description="The address's ISO code, e.g. IT; the cart's own `country` when left out (PUT .../country/).",
)
DESCRIPTION = (
    "The active shipping methods of the market that covers `country`, priced for this cart (flat, by weight or "
    "by value band, free from a threshold); methods that cannot ship it (too heavy, an item without a weight) "
    "are left out. An offer applied at checkout lowers the goods' value: a free-from threshold is checked "
    "again there. `invalid_country` (400) for a code that is no country, `country_not_served` (400) for one "
    "no market covers (never an empty list)."
)


def _answer(result: CartShipping) -> Response:
    return Response(CartShippingOutput(result).data)


class MyCartShippingView(APIView):
    """How the signed-in shopper's cart can be shipped to a country, and at what price."""

    permission_classes = [IsShopper]
    authentication_classes = SHOPPER_AUTHENTICATION

    @extend_schema(parameters=[COUNTRY], responses=CartShippingOutput, description=DESCRIPTION)
    def get(self, request):
        customer = customer_for_user(request.user)
        cart = selectors.open_cart_of(customer) if isinstance(customer, Customer) else None
        country = _country(request, cart)
        return _answer(cart_shipping(cart=cart, country=country))


class CartShippingView(APIView):
    """How an anonymous cart can be shipped to a country, and at what price."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(parameters=[COUNTRY], responses=CartShippingOutput, description=DESCRIPTION)
    def get(self, request, token):
        cart = Cart.objects.filter(token=token, customer__isnull=True, status=Cart.Status.OPEN).first()
        if cart is None:
            raise OrderError(_("There is no open anonymous cart with this token."), code=RetailCode.NOT_FOUND)
        country = _country(request, cart)
        return _answer(cart_shipping(cart=cart, country=country))


def _country(request, cart) -> str:
    """The `country` asked for; the cart's own only when the parameter is left out (`?country=` is a
    code that is no country: invalid_country, as the schema's pattern says)."""
    if "country" in request.query_params:
        return request.query_params["country"]
    return cart.country if cart is not None else ""
