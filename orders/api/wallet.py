"""The shopper's wallet in the app: top up store credit by card, and a pay code (QR) for the till.

Paying with the wallet is the `store_credit` tender: in the app's checkout as before, and at the
till with the pay code in the tender's `code`. The balance is `store_credit` in /me/loyalty/.
"""

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from customers.selectors import customer_for_user
from customers.services.linking import link_user_to_customer
from customers.services.wallet import issue_pay_code
from orders.api.permissions import IsShopper
from orders.payments import PROVIDER_CODES
from orders.services.wallet import top_up_store_credit
from retail.api.authentication import SHOPPER_AUTHENTICATION
from retail.api.codes import raises
from retail.api.fields import MoneyField
from retail.api.idempotency import idempotent, request_scope
from retail.api.serializers import EmptyInput, StrictSerializer


def _me(request):
    return customer_for_user(request.user) or link_user_to_customer(user=request.user)


class TopUpInput(StrictSerializer):
    amount = MoneyField(help_text="Added to your store credit and charged to the card at once.")
    payment_token = serializers.CharField(max_length=200, help_text="The card token your payment SDK gave you.")


class TopUpOutput(serializers.Serializer):
    amount = serializers.DecimalField(source="entry.amount", max_digits=12, decimal_places=2)
    balance = serializers.DecimalField(max_digits=12, decimal_places=2, help_text="Store credit after the top-up.")


class PayCodeOutput(serializers.Serializer):
    code = serializers.CharField(help_text="Show it as a QR code at the till; it pays once.")
    expires_at = serializers.DateTimeField(source="pay_code.expires_at")


class MyWalletTopUpView(APIView):
    """Top up your store credit by card. Needs an `Idempotency-Key`: a retry charges nothing again."""

    permission_classes = [IsShopper]
    authentication_classes = SHOPPER_AUTHENTICATION

    @extend_schema(
        request=TopUpInput,
        responses={201: TopUpOutput},
        examples=[OpenApiExample("Twenty euros", request_only=True,
                                 value={"amount": "20.00", "payment_token": "tok_visa_4242"})],
    )  # fmt: skip
    @raises(*PROVIDER_CODES)
    @idempotent(required=True)
    def post(self, request):
        incoming = TopUpInput(data=request.data)
        incoming.is_valid(raise_exception=True)
        v = incoming.validated_data
        top_up = top_up_store_credit(
            customer=_me(request),
            amount=v["amount"],
            card_token=v["payment_token"],
            idempotency_key=f"{request_scope(request)}:{request.headers['Idempotency-Key']}",
        )
        return Response(TopUpOutput(top_up).data, status=status.HTTP_201_CREATED)


class MyWalletPayCodeView(APIView):
    """A fresh pay code for the wallet's QR: the till scans it to pay with your store credit. It lasts
    a couple of minutes and pays once; open the wallet again for a new one."""

    permission_classes = [IsShopper]
    authentication_classes = SHOPPER_AUTHENTICATION

    @extend_schema(request=EmptyInput, responses={201: PayCodeOutput})
    def post(self, request):
        EmptyInput(data=request.data).is_valid(raise_exception=True)
        issued = issue_pay_code(customer=_me(request))
        response = Response(PayCodeOutput(issued).data, status=status.HTTP_201_CREATED)
        response["Cache-Control"] = "no-store"
        return response
