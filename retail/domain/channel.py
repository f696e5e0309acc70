"""Where a shopper buys, said once: the channels, what each one is, and the words for it.

Every app takes its channel values, choices and sentences from here, never from a literal:

    Channel.APP                      # "app", as stored on Order.channel and Interaction.channel
    Channel.APP.online               # True: the shopper's own client checks out, no associate
    Channel.PHONE.assisted           # True: an associate takes the order (and must be signed in)
    Channel.STORE.in_store           # True: bought over a store's counter
    Channel.WEB.bought               # "on the web": "bought on the web", "returned 3 days after ..."
    Channel.STORE.purchases          # "Store purchases": a heading over its orders (return windows)
    Channel.online_values()          # ["app", "web", "kiosk"]: what a shopper's client may send

`TimelineChannel` is the timeline's wider set: every channel, and where a message reached the
shopper (email, SMS). A test fails when a channel's value is written as a literal anywhere else
(tests/retail/test_channel.py).

Adding a channel is data, not code: a deployment lists it in `settings.EXTRA_CHANNELS` (value,
label and traits; registered when the apps are ready), or calls `register_channel()`. It joins
`Channel` and `TimelineChannel` as a member like the others; columns that store a channel take
their choices from `channel_choices` / `timeline_channel_choices` (read when validated, never
copied into a migration) and are CHANNEL_LENGTH wide. No app keeps its own copy of the set: they
ask the kernel when they need it (tests/retail/test_marketplace.py adds one in a fixture).
"""

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _

CHANNEL_LENGTH = 16  # the width of a column holding a channel's value ("marketplace" fits)


@dataclass(frozen=True)
class Traits:
    online: bool  # the shopper's own client (an app, a browser, a kiosk) places the order unaided
    assisted: bool  # an associate places it for the shopper
    in_store: bool  # paid over a store's counter (a kiosk's order is fulfilled like a web order)
    own_device: bool  # the shopper's own phone or computer: carts and returns can start there
    bought: str  # where it was bought, in a sentence: "bought in the app"
    purchases: str  # a heading over its orders: "App orders"


class Channel(models.TextChoices):
    APP = "app", _("App")
    WEB = "web", _("Web")
    STORE = "store", _("Store")
    PHONE = "phone", _("Phone")
    KIOSK = "kiosk", _("Kiosk")

    @property
    def traits(self) -> Traits:
        return TRAITS[self]

    @property
    def online(self) -> bool:
        return self.traits.online

    @property
    def assisted(self) -> bool:
        return self.traits.assisted

    @property
    def in_store(self) -> bool:
        return self.traits.in_store

    @property
    def bought(self) -> str:
        return self.traits.bought

    @property
    def purchases(self) -> str:
        return self.traits.purchases

    @classmethod
    def online_values(cls) -> list[str]:
        """What a shopper's own client may check out on (the API offers these)."""
        return [channel.value for channel in cls if channel.online]

    @classmethod
    def own_device_values(cls) -> list[str]:
        """Where a return can be started by the shopper (the app, the web shop)."""
        return [channel.value for channel in cls if channel.traits.own_device]

    @classmethod
    def assisted_values(cls) -> list[str]:
        return [channel.value for channel in cls if channel.assisted]

    @classmethod
    def away_from_the_counter(cls) -> list[str]:
        """Bought anywhere but over a store's counter: such an order returned in a store is news."""
        return [channel.value for channel in cls if not channel.in_store]

    @classmethod
    def read(cls, value: str) -> "Channel | None":
        """The channel a stored or typed value names ("App", " web "), or None."""
        try:
            return cls((value or "").strip().lower())
        except ValueError:
            return None


TRAITS = {
    Channel.APP: Traits(
        online=True, assisted=False, in_store=False, own_device=True, bought=_("in the app"), purchases=_("App orders")
    ),
    Channel.WEB: Traits(
        online=True, assisted=False, in_store=False, own_device=True, bought=_("on the web"), purchases=_("Web orders")
    ),
    Channel.STORE: Traits(
        online=False,
        assisted=True,
        in_store=True,
        own_device=False,
        bought=_("in store"),
        purchases=_("Store purchases"),
    ),
    Channel.PHONE: Traits(
        online=False, assisted=True, in_store=False, own_device=False, bought=_("by phone"), purchases=_("Phone orders")
    ),
    Channel.KIOSK: Traits(
        online=True,
        assisted=False,
        in_store=False,
        own_device=False,
        bought=_("at a kiosk"),
        purchases=_("Kiosk orders"),
    ),
}


def register_channel(*, value: str, label: str, traits: Traits) -> "Channel":
    """Add a channel (a marketplace, a social shop...) to `Channel` and `TimelineChannel`, with its
    traits: afterwards it is stored, offered, judged and reported like the built-in ones."""
    value = value.strip().lower()
    if not value or len(value) > CHANNEL_LENGTH or not value.replace("_", "").isalnum():
        raise ValueError(f"A channel's value is 1 to {CHANNEL_LENGTH} letters, digits or _: {value!r}.")
    if value in Channel._value2member_map_ or value in TimelineChannel._value2member_map_:
        raise ValueError(f"{value!r} is already a channel (or a way a message reaches the shopper).")
    member = _add_member(Channel, value, label)
    TRAITS[member] = traits
    _add_member(TimelineChannel, value, label)
    return member


def unregister_channel(value: str) -> None:
    """Take back a channel added by register_channel (the built-in ones stay)."""
    member = Channel.read(value)
    if member is None or member.name in BUILT_IN:
        raise ValueError(f"{value!r} is not a registered channel.")
    TRAITS.pop(member)
    _remove_member(Channel, member.name)
    _remove_member(TimelineChannel, member.name)


def register_configured_channels(specs) -> None:
    """The channels `settings.EXTRA_CHANNELS` lists: {"value", "label", and the Traits' fields}."""
    for spec in specs:
        spec = dict(spec)
        register_channel(value=spec.pop("value"), label=spec.pop("label"), traits=Traits(**spec))


def _add_member(cls, value: str, label: str):
    # The enum's own bookkeeping, as EnumType does it for a member declared in the class body.
    name = value.upper()
    member = str.__new__(cls, value)
    member._name_, member._value_, member._label_ = name, value, label
    member._sort_order_ = len(cls._member_names_)
    member.__objclass__ = cls
    cls._add_member_(name, member)
    cls._member_names_.append(name)
    cls._value2member_map_[value] = member
    return member


def _remove_member(cls, name: str) -> None:
    member = cls._member_map_.pop(name)
    cls._member_names_.remove(name)
    del cls._value2member_map_[member._value_]
    type.__delattr__(cls, name)


def channel_choices() -> list[tuple[str, str]]:
    """A model field's choices, read when a value is validated: a migration names this function, never
    the channels, so adding one needs no migration of the columns that store it."""
    return Channel.choices


class TimelineChannel(models.TextChoices):
    """Where something on a shopper's timeline happened: a channel, or a message's way to them."""

    APP = Channel.APP.value, Channel.APP.label
    WEB = Channel.WEB.value, Channel.WEB.label
    STORE = Channel.STORE.value, Channel.STORE.label
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    PHONE = Channel.PHONE.value, Channel.PHONE.label
    KIOSK = Channel.KIOSK.value, Channel.KIOSK.label


BUILT_IN = frozenset(Channel.names)


def timeline_channel_choices() -> list[tuple[str, str]]:
    """The timeline's choices, read when validated (see channel_choices)."""
    return TimelineChannel.choices
