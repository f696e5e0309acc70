"""Inputs (strict: unknown fields refused) and outputs of the staff-only webhooks API and the feed."""

from rest_framework import serializers

from retail.api.fields import PatternField
from retail.api.serializers import StrictSerializer
from webhooks.events import EVENT_TYPES, Type
from webhooks.models import Subscription

# https and a host name (no IP literal, no credentials): the SSRF guard checks where it resolves to.
_LABEL = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
URL_PATTERN = rf"\Ahttps://({_LABEL}\.)+[a-z]{{2,63}}(:[1-9][0-9]{{0,3}})?(/[A-Za-z0-9._~/-]{{0,300}})?\Z"
NAME_PATTERN = r"\A[^\x00-\x1f\x7f\s][^\x00-\x1f\x7f]{0,119}\Z"
EVENT_TYPE_NAMES = Type.choices


def _event_types(**kwargs):
    return serializers.ListField(
        child=serializers.ChoiceField(choices=EVENT_TYPE_NAMES),
        min_length=1,
        max_length=len(EVENT_TYPES),
        help_text="The event types sent to the URL (docs/webhooks.md lists them).",
        **kwargs,
    )


class SubscriptionCreateInput(StrictSerializer):
    name = PatternField(NAME_PATTERN, max_length=120, example="Data warehouse")
    url = PatternField(
        URL_PATTERN, max_length=500, example="https://hooks.example.com/omnistore",
        help_text="https, on a public address (no loopback, private or link-local networks).",
    )  # fmt: skip
    event_types = _event_types()


class SubscriptionUpdateInput(StrictSerializer):
    name = PatternField(NAME_PATTERN, max_length=120, required=False, example="Data warehouse")
    url = PatternField(URL_PATTERN, max_length=500, required=False, example="https://hooks.example.com/omnistore")
    event_types = _event_types(required=False)
    status = serializers.ChoiceField(
        choices=Subscription.Status.choices, required=False,
        help_text="paused: stop sending (events keep queueing); active: send what queued, in order.",
    )  # fmt: skip


class SubscriptionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Subscription
        fields = [
            "id", "name", "url", "event_types", "status", "paused_reason", "paused_at", "consecutive_failures",
            "last_success_at", "last_failure_at", "secret_hint", "created_at",
        ]  # fmt: skip
        read_only_fields = fields


class SubscriptionCreatedSerializer(SubscriptionSerializer):
    secret = serializers.CharField(help_text="The signing secret: shown this once, keep it now.")

    class Meta(SubscriptionSerializer.Meta):
        fields = [*SubscriptionSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class EnvelopeSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="evt_<32 hex>: the same on every redelivery; dedupe on it.")
    type = serializers.ChoiceField(choices=EVENT_TYPE_NAMES)
    version = serializers.IntegerField(min_value=1)
    occurred_at = serializers.DateTimeField()
    data = serializers.DictField(help_text="The event's data; its shape is per type and version.")


class FeedSerializer(serializers.Serializer):
    events = EnvelopeSerializer(many=True)
    next_cursor = serializers.CharField(help_text="Pass as `after` to get what comes next.")
    has_more = serializers.BooleanField(help_text="True: ask again at once; false: poll again later.")
