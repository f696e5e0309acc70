"""Staff-only API: webhook subscriptions (scope webhooks:manage) and the change feed (events:read).

Only integration tokens are taken (`Authorization: Bearer omni_...`): a shopper's session, a till's
device token or a browser session are not credentials here.
"""

from django.db import transaction
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from retail.api.fields import EXAMPLE_ID, POSITIVE_INT_PATTERN, query_param, schema_pattern
from retail.api.schema import path_example
from retail.api.serializers import EmptyInput
from retail.errors import DomainError, RetailCode
from webhooks import services
from webhooks.api.serializers import (
    FeedSerializer,
    SubscriptionCreatedSerializer,
    SubscriptionCreateInput,
    SubscriptionSerializer,
    SubscriptionUpdateInput,
)
from webhooks.events import EVENT_TYPES, envelope
from webhooks.models import IntegrationToken, Subscription
from webhooks.selectors import CURSOR_PATTERN, feed_page
from webhooks.tokens import HasScope, IntegrationTokenAuthentication

path_example("subscription_id", EXAMPLE_ID)
_TYPE = "(" + "|".join(name.replace(".", r"\.") for name in EVENT_TYPES) + ")"
TYPES_PATTERN = rf"\A{_TYPE}(,{_TYPE}){{0,20}}\Z"
FEED_LIMIT = 500


class StaffTokenView(APIView):
    authentication_classes = [IntegrationTokenAuthentication]
    permission_classes = [HasScope]
    required_scope = IntegrationToken.Scope.WEBHOOKS


def _subscription(pk: int) -> Subscription:
    subscription = Subscription.objects.filter(pk=pk).first()
    if subscription is None:
        raise DomainError(_("No such subscription."), code=RetailCode.NOT_FOUND)
    return subscription


class SubscriptionListView(StaffTokenView):
    """Webhook subscriptions: list them, or add one (its signing secret is in this answer only)."""

    @extend_schema(responses={200: SubscriptionSerializer(many=True)})
    def get(self, request):
        return Response(SubscriptionSerializer(Subscription.objects.order_by("name", "id"), many=True).data)

    @extend_schema(request=SubscriptionCreateInput, responses={201: SubscriptionCreatedSerializer})
    def post(self, request):
        incoming = SubscriptionCreateInput(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        subscription, secret = services.create_subscription(
            name=data["name"], url=data["url"], event_types=data["event_types"], actor=request.user
        )
        body = SubscriptionSerializer(subscription).data | {"secret": secret}
        return Response(body, status=status.HTTP_201_CREATED)


class SubscriptionDetailView(StaffTokenView):
    @extend_schema(responses={200: SubscriptionSerializer})
    def get(self, request, subscription_id: int):
        return Response(SubscriptionSerializer(_subscription(subscription_id)).data)

    @extend_schema(request=SubscriptionUpdateInput, responses={200: SubscriptionSerializer})
    def patch(self, request, subscription_id: int):
        incoming = SubscriptionUpdateInput(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        with transaction.atomic():
            subscription = _subscription(subscription_id)
            new_status = data.pop("status", None)
            subscription = services.update_subscription(subscription=subscription, actor=request.user, **data)
            if new_status == Subscription.Status.PAUSED:
                subscription = services.pause_subscription(
                    subscription=subscription, reason=f"Paused by {request.user} through the API.", actor=request.user
                )
            elif new_status == Subscription.Status.ACTIVE:
                subscription = services.resume_subscription(subscription=subscription, actor=request.user)
        return Response(SubscriptionSerializer(subscription).data)

    @extend_schema(request=EmptyInput, responses={204: None})
    def delete(self, request, subscription_id: int):
        EmptyInput(data=request.data).is_valid(raise_exception=True)
        services.delete_subscription(subscription=_subscription(subscription_id), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class EventFeedView(StaffTokenView):
    """Every event in a stable order, for pull-based consumers (the warehouse): keep `next_cursor`,
    ask again with `after`. The same envelopes webhooks carry (docs/webhooks.md)."""

    required_scope = IntegrationToken.Scope.EVENTS

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "after", OpenApiTypes.STR, pattern=schema_pattern(CURSOR_PATTERN),
                description="The `next_cursor` of the previous page; leave out to start at the beginning.",
            ),
            OpenApiParameter(
                "limit", {"type": "integer", "minimum": 1, "maximum": FEED_LIMIT},
                description=f"Events per page, 1 to {FEED_LIMIT} (100 unless given).",
            ),
            OpenApiParameter(
                "types", OpenApiTypes.STR, pattern=schema_pattern(TYPES_PATTERN),
                description="Only these event types, comma-separated (e.g. order.placed,stock.changed).",
            ),
        ],
        responses={200: FeedSerializer},
    )  # fmt: skip
    def get(self, request):
        after = request.query_params.get("after")
        raw_limit = query_param(
            request,
            "limit",
            POSITIVE_INT_PATTERN,
            message=_("limit is a whole number from 1 to %(most)s.") % {"most": FEED_LIMIT},
        )
        limit = int(raw_limit) if raw_limit is not None else 100
        if limit > FEED_LIMIT:
            query_param(
                request,
                "limit",
                r"\A\Z",
                message=_("limit is a whole number from 1 to %(most)s.") % {"most": FEED_LIMIT},
            )
        raw_types = query_param(request, "types", TYPES_PATTERN, message=_("Event types, comma-separated."))
        types = raw_types.split(",") if raw_types else None
        unknown = sorted(set(types or []) - set(EVENT_TYPES))
        if unknown:
            raise DomainError(
                _("Unknown event types: %(value)s.") % {"value": ", ".join(unknown)},
                code=RetailCode.INVALID,
                fields={"types": [_("Unknown.")]},
            )
        page = feed_page(after=after, limit=limit, types=types)
        return Response(
            {"events": [envelope(e) for e in page.events], "next_cursor": page.next_cursor, "has_more": page.has_more}
        )
