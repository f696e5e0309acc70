"""The assisted order's options: shapes only; the rules (stock, address, who may sell) are the service's."""

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from orders.models import PaymentRequest
from orders.services.assisted import Deliver
from retail.domain.channel import Channel

# Where a domain error's field lands on the form (anything else is shown above it).
ERROR_FIELDS = {
    "address": "line1",
    "shipping_address": "postcode",
    "groups.0.shipping_address": "postcode",
    "pickup_store": "pickup_store",
    "groups.0.store": "pickup_store",
    "deliver": "deliver",
    "channel": "channel",
    "payment": "payment",
    "payments": "payment",
    "points": "points",
    "offer_code": "offer_code",
    "shipping_method": "shipping_method",
}


def new_placement_key() -> str:
    return uuid.uuid4().hex


class AssistedOrderForm(forms.Form):
    deliver = forms.ChoiceField(choices=Deliver.CHOICES, widget=forms.RadioSelect, initial=Deliver.SHIP)
    pickup_store = forms.ChoiceField(required=False, label=_("Collect at"))
    line1 = forms.CharField(required=False, max_length=120, label=_("Street"))
    line2 = forms.CharField(required=False, max_length=120, label=_("Flat, building"))
    city = forms.CharField(required=False, max_length=80, label=_("City"))
    postcode = forms.CharField(required=False, max_length=16, label=_("Postcode"))
    channel = forms.ChoiceField(
        choices=[(c.value, _("In store") if c.in_store else _("By phone")) for c in Channel if c.assisted],
        widget=forms.RadioSelect,
        initial=Channel.STORE,
        label=_("Shopper"),
    )
    payment = forms.ChoiceField(
        choices=[
            (PaymentRequest.Method.TILL, _("At the till, now")),
            (PaymentRequest.Method.LINK, _("Pay-by-link sent to them")),
        ],
        widget=forms.RadioSelect,
        initial=PaymentRequest.Method.TILL,
    )
    points = forms.IntegerField(required=False, min_value=0, max_value=10_000_000, label=_("Points to use"))
    offer_code = forms.CharField(required=False, max_length=30, label=_("Offer code"))
    key = forms.CharField(widget=forms.HiddenInput, min_length=16, max_length=64)
    # the basket's methods (orders.basket.shipping_choices), rendered by partials/assisted_shipping.html
    shipping_method = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label=_("Shipping"))

    def __init__(self, *args, stores=(), shipping=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.shipping = list(shipping)
        self.fields["shipping_method"].choices = [("", "")] + [(str(o.method.pk), o.method.name) for o in self.shipping]
        self.fields["shipping_method"].error_messages["invalid_choice"] = _(
            "That shipping method does not ship this basket (any more): choose one of those listed."
        )
        self.fields["pickup_store"].choices = [("", _("Choose a store"))] + [
            (str(s.pk), f"{s.name} · {s.distance_km:.0f} km" if getattr(s, "distance_km", None) else s.name)
            for s in stores
        ]
        self.stores = {str(s.pk): s for s in stores}

    def clean(self):
        data = super().clean()
        unchosen = data.get("shipping_method") is None and "shipping_method" not in self.errors
        if data.get("deliver") == Deliver.SHIP and self.shipping and unchosen:
            self.add_error("shipping_method", _("Choose how the parcel is shipped."))
        return data

    @property
    def selected_shipping(self) -> int | None:
        """The method ticked: the posted one, else the first listed (what most shoppers take)."""
        if self.is_bound:
            value = self.data.get("shipping_method") or ""
            return int(value) if value.isdigit() else None
        return self.shipping[0].method.pk if self.shipping else None

    @property
    def address(self) -> dict:
        data = self.cleaned_data
        return {k: data.get(k, "") for k in ("line1", "line2", "city", "postcode") if data.get(k)}

    @property
    def pickup(self):
        return self.stores.get(self.cleaned_data.get("pickup_store") or "")

    def add_domain_error(self, exc) -> None:
        """The service's refusal, on the field it names (or above the form)."""
        placed = False
        for name in exc.fields or {}:
            target = ERROR_FIELDS.get(name)
            if target and target not in self.errors:
                self.add_error(target, exc.message)
                placed = True
                break
        if not placed:
            self.add_error(None, exc.message)
