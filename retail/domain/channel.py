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
shopper (email, SMS). Adding a channel is one member of `Channel` with its traits here (and of
`TimelineChannel`, with a migration for the choices); a test fails when a channel's value is
written as a literal anywhere else (tests/retail/test_channel.py).
"""

from dataclasses import dataclass

from django.db import models


@dataclass(frozen=True)
class Traits:
    online: bool  # the shopper's own client (an app, a browser, a kiosk) places the order unaided
    assisted: bool  # an associate places it for the shopper
    in_store: bool  # paid over a store's counter (a kiosk's order is fulfilled like a web order)
    own_device: bool  # the shopper's own phone or computer: carts and returns can start there
    bought: str  # where it was bought, in a sentence: "bought in the app"
    purchases: str  # a heading over its orders: "App orders"


class Channel(models.TextChoices):
    APP = "app", "App"
    WEB = "web", "Web"
    STORE = "store", "Store"
    PHONE = "phone", "Phone"
    KIOSK = "kiosk", "Kiosk"

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
        online=True, assisted=False, in_store=False, own_device=True, bought="in the app", purchases="App orders"
    ),
    Channel.WEB: Traits(
        online=True, assisted=False, in_store=False, own_device=True, bought="on the web", purchases="Web orders"
    ),
    Channel.STORE: Traits(
        online=False, assisted=True, in_store=True, own_device=False, bought="in store", purchases="Store purchases"
    ),
    Channel.PHONE: Traits(
        online=False, assisted=True, in_store=False, own_device=False, bought="by phone", purchases="Phone orders"
    ),
    Channel.KIOSK: Traits(
        online=True, assisted=False, in_store=False, own_device=False, bought="at a kiosk", purchases="Kiosk orders"
    ),
}


def channel_choices() -> list[tuple[str, str]]:
    """A model field's choices, read when a value is validated: a migration names this function, never
    the channels, so adding one needs no migration of the columns that store it."""
    return Channel.choices


class TimelineChannel(models.TextChoices):
    """Where something on a shopper's timeline happened: a channel, or a message's way to them."""

    APP = Channel.APP.value, Channel.APP.label
    WEB = Channel.WEB.value, Channel.WEB.label
    STORE = Channel.STORE.value, Channel.STORE.label
    EMAIL = "email", "Email"
    SMS = "sms", "SMS"
    PHONE = Channel.PHONE.value, Channel.PHONE.label
    KIOSK = Channel.KIOSK.value, Channel.KIOSK.label
