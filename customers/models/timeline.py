from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from customers.timeline_messages import spoken_subject
from retail.domain.channel import CHANNEL_LENGTH, timeline_channel_choices
from retail.domain.channel import TimelineChannel as Channel  # noqa: F401 — customers.models.Channel


class Interaction(models.Model):
    """One thing a shopper did or was told, on one channel: the timeline of the clienteling screen.

    Idempotent by (source, external_id): a client, the POS or the orders app re-sending the same
    event does not add it twice (kept by `InteractionKey`: the table is partitioned by month of
    `occurred_at`, customers/partitions.py, and its primary key is (id, occurred_at) in the
    database). A purchase carries in `data`:
        {"order_number": "W-1001", "total": "59.90", "currency": "EUR",
         "lines": [{"sku": "TSH-BLU-M", "qty": 1, "amount": "29.95", "category": "tops", "size": "M"}]}
    and its lines are copied into `PurchasedItem` rows for tiers and recommendations.
    """

    class Kind(models.TextChoices):
        PRODUCT_VIEW = "product_view", _("Viewed a product")
        SEARCH = "search", _("Searched")
        ADD_TO_CART = "add_to_cart", _("Added to cart")
        WISHLIST_ADD = "wishlist_add", _("Added to wishlist")
        APP_OPEN = "app_open", _("Opened the app")
        STORE_VISIT = "store_visit", _("Visited a store")
        PURCHASE = "purchase", _("Purchase")
        PICKUP = "pickup", _("Collected an order")
        RETURN = "return", _("Return")
        MESSAGE_SENT = "message_sent", _("Message sent")
        MESSAGE_RECEIVED = "message_received", _("Message received")
        OFFER_REDEEMED = "offer_redeemed", _("Redeemed an offer")
        NOTE = "note", _("Note")
        APPOINTMENT = "appointment", _("Appointment")

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="interactions", verbose_name=_("customer")
    )
    channel = models.CharField(max_length=CHANNEL_LENGTH, choices=timeline_channel_choices, verbose_name=_("channel"))
    kind = models.CharField(max_length=20, choices=Kind.choices, verbose_name=_("kind"))
    occurred_at = models.DateTimeField(verbose_name=_("occurred at"))
    store = models.ForeignKey(
        "retail.Store", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("store")
    )
    associate = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("associate"),
    )
    subject = models.CharField(
        max_length=200,
        blank=True,
        help_text=_("What it was about: a SKU, a search, an order."),
        verbose_name=_("subject"),
    )
    data = models.JSONField(default=dict, blank=True, verbose_name=_("data"))
    source = models.CharField(
        max_length=40, help_text=_("Who wrote it: events:app, pos, orders, portal..."), verbose_name=_("source")
    )
    external_id = models.CharField(
        max_length=100,
        help_text=_("The writer's own id; with source, makes it idempotent."),
        verbose_name=_("external ID"),
    )
    recorded_at = models.DateTimeField(verbose_name=_("recorded at"))

    class Meta:
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-occurred_at", "-id"], name="interaction_timeline_idx"),
            models.Index(fields=["customer", "channel", "-occurred_at", "-id"], name="interaction_channel_idx"),
        ]

    def __str__(self):
        said = spoken_subject(self)  # a service's sentence in the reader's language (the admin's title)
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.get_channel_display()} {self.get_kind_display()} {said}"


class PurchasedItem(models.Model):
    """A purchase line (or a returned one, negative) taken from a purchase/return interaction.

    Rolling spend for tiers and "bought together" recommendations read these rows. Partitioned by
    month like the interactions, `occurred_at` being its interaction's.
    """

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="purchased_items", verbose_name=_("customer")
    )
    # db_constraint=False: the database's foreign key is (interaction_id, occurred_at), the
    # interaction's partition key included (migration customers 0013)
    interaction = models.ForeignKey(
        Interaction, on_delete=models.CASCADE, related_name="items", db_constraint=False, verbose_name=_("interaction")
    )
    sku = models.CharField(max_length=64, verbose_name=_("SKU"))
    category = models.CharField(max_length=60, blank=True, verbose_name=_("category"))
    size = models.CharField(max_length=20, blank=True, verbose_name=_("size"))
    quantity = models.IntegerField(help_text=_("Negative for a return."), verbose_name=_("quantity"))
    amount = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        help_text=_("Paid for the line; negative for a return."),
        verbose_name=_("amount"),
    )
    channel = models.CharField(max_length=CHANNEL_LENGTH, choices=timeline_channel_choices, verbose_name=_("channel"))
    occurred_at = models.DateTimeField(verbose_name=_("occurred at"))

    class Meta:
        verbose_name = _("purchased item")
        verbose_name_plural = _("purchased items")
        indexes = [
            models.Index(fields=["customer", "occurred_at"], name="purchased_customer_idx"),
            models.Index(fields=["sku", "interaction"], name="purchased_sku_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(quantity=0), name="purchased_quantity_not_zero"),
        ]

    def __str__(self):
        return f"{self.quantity} x {self.sku}"


class InteractionKey(models.Model):
    """The (source, external_id) of every interaction: the idempotency of the timeline.

    A partitioned table cannot hold a unique constraint without its partition key, so the key lives
    here, inserted first (ON CONFLICT DO NOTHING) in the transaction that writes the interaction:
    a conflict means the event was recorded already (customers.services.timeline.claim_keys).
    The database points it at its interaction by (interaction_id, occurred_at), ON DELETE CASCADE.
    """

    pk = models.CompositePrimaryKey("source", "external_id")
    source = models.CharField(max_length=40, verbose_name=_("source"))
    external_id = models.CharField(max_length=100, verbose_name=_("external ID"))
    interaction_id = models.BigIntegerField(verbose_name=_("interaction ID"))
    occurred_at = models.DateTimeField(verbose_name=_("occurred at"))

    class Meta:
        # The ON DELETE / ON UPDATE CASCADE from the interaction finds its key by these columns: without
        # an index each deleted interaction read the whole key table (50M rows at the xlarge benchmark).
        verbose_name = _("interaction key")
        verbose_name_plural = _("interaction keys")
        indexes = [models.Index(fields=["interaction_id", "occurred_at"], name="interactionkey_interaction_idx")]

    def __str__(self):
        return f"{self.source}:{self.external_id}"
