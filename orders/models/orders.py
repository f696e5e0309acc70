"""Orders on every channel, their fulfilments (pick-up, curbside, ship, carried out) and lines."""

from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Round
from django.utils.translation import gettext_lazy as _

from retail.domain.channel import CHANNEL_LENGTH, Channel, channel_choices


class Order(models.Model):
    """What a shopper bought in one go, on one channel. Totals are the sum of its lines.

    `number` is what people read and type (OM-XXXX-XXXX, random, so a number says nothing about
    other orders); access checks never rely on it being secret, they check the owner.
    """

    Channel = Channel  # the kernel's (retail.domain.channel), as Order.Channel

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")

    number = models.CharField(max_length=20, unique=True, verbose_name=_("number"))
    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="orders",
        verbose_name=_("customer"),
    )
    channel = models.CharField(max_length=CHANNEL_LENGTH, choices=channel_choices, verbose_name=_("channel"))
    store = models.ForeignKey(
        "retail.Store",
        on_delete=models.PROTECT,
        related_name="orders",
        help_text=_("Selling or fulfilling store."),
        verbose_name=_("store"),
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN, verbose_name=_("status"))
    contact_name = models.CharField(max_length=160, blank=True, verbose_name=_("contact name"))
    email = models.EmailField(blank=True, verbose_name=_("email"))
    phone = models.CharField(max_length=20, blank=True, verbose_name=_("phone"))
    currency = models.CharField(max_length=3, verbose_name=_("currency"))
    subtotal = models.DecimalField(max_digits=12, decimal_places=2, verbose_name=_("subtotal"))
    discount_total = models.DecimalField(
        max_digits=12, decimal_places=2, default=Decimal("0.00"), verbose_name=_("discount total")
    )
    # In a market whose prices exclude tax (Market.prices_include_tax) the lines' tax is added on top:
    # total = subtotal - discount_total + tax_added. Where prices include it, tax_added is 0 (the lines
    # keep their tax inside their totals).
    prices_include_tax = models.BooleanField(
        default=True, help_text=_("As its market priced it when it was sold."), verbose_name=_("prices include tax")
    )
    tax_added = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        default=Decimal("0.00"),
        help_text=_("Tax added on top of the prices."),
        verbose_name=_("tax added"),
    )
    total = models.DecimalField(max_digits=12, decimal_places=2, verbose_name=_("total"))
    offer_code = models.CharField(max_length=30, blank=True, verbose_name=_("offer code"))
    offer_discount = models.DecimalField(
        max_digits=12, decimal_places=2, default=Decimal("0.00"), verbose_name=_("offer discount")
    )
    points_redeemed = models.PositiveIntegerField(default=0, verbose_name=_("points redeemed"))
    points_discount = models.DecimalField(
        max_digits=12, decimal_places=2, default=Decimal("0.00"), verbose_name=_("points discount")
    )
    points_earned = models.PositiveIntegerField(default=0, verbose_name=_("points earned"))
    # Ship-to-home: the method chosen at checkout and its charge, with its tax (orders.services.shipping).
    # total = subtotal - discount_total + tax_added + shipping_total; the order's tax is its lines' plus
    # shipping_tax, which is inside shipping_total where prices include tax, else on top (in tax_added).
    shipping_method = models.ForeignKey(
        "orders.ShippingMethod",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("shipping method"),
    )
    shipping_name = models.CharField(
        max_length=80, blank=True, help_text=_("The method as the shopper chose it."), verbose_name=_("shipping name")
    )
    # db_default too: rows copied in without it (benchmark datasets, COPY) ship nothing
    shipping_total = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        default=Decimal("0.00"),
        db_default=Decimal("0.00"),
        verbose_name=_("shipping total"),
    )
    shipping_net = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True, verbose_name=_("shipping net")
    )
    shipping_tax_rate = models.DecimalField(
        max_digits=6, decimal_places=3, null=True, blank=True, verbose_name=_("shipping tax rate")
    )
    shipping_tax = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True, verbose_name=_("shipping tax")
    )
    receipt_number = models.CharField(
        max_length=40,
        blank=True,
        help_text=_("POS sales: the till's receipt number."),
        verbose_name=_("receipt number"),
    )
    # db_default too: rows copied in without it (benchmark datasets, COPY) have none, and replay as before
    receipt_fingerprint = models.CharField(
        max_length=64,
        blank=True,
        default="",
        db_default="",
        help_text=_(
            "POS sales: a hash of the sale the till first sent with its receipt number; the same number "
            "sent again with another sale is refused (idempotency_mismatch), the same sale replayed."
        ),
        verbose_name=_("receipt fingerprint"),
    )
    device = models.ForeignKey(
        "retail.PosDevice",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="orders",
        verbose_name=_("device"),
    )
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("placed by"),
    )
    seller = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Assisted orders: the associate credited with the sale (commission reports)."),
        verbose_name=_("seller"),
    )
    placed_at = models.DateTimeField(
        verbose_name=_("placed at")
    )  # indexed by order_placed_idx (covering the sales figures)
    updated_at = models.DateTimeField(verbose_name=_("updated at"))
    closed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("closed at"))
    # what the shopper was told about it (deleted with it)
    notifications = GenericRelation(
        "orders.Notification", content_type_field="subject_type", object_id_field="subject_id"
    )

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-placed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["store", "receipt_number"], condition=~Q(receipt_number=""), name="order_receipt_once_per_store"
            ),
            models.CheckConstraint(
                condition=Q(subtotal__gte=0, discount_total__gte=0, total__gte=0, tax_added__gte=0),
                name="order_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(total=Round(F("subtotal") - F("discount_total") + F("tax_added") + F("shipping_total"), 2)),
                name="order_total_adds_up",
            ),
            models.CheckConstraint(
                condition=Q(prices_include_tax=False) | Q(tax_added=0), name="order_tax_added_only_on_net_prices"
            ),
            models.CheckConstraint(
                # Shipping's tax is inside its charge where prices include tax, on top (in tax_added) where not.
                condition=Q(shipping_total__gte=0)
                & (
                    Q(shipping_net__isnull=True, shipping_tax_rate__isnull=True, shipping_tax__isnull=True)
                    | Q(
                        prices_include_tax=True,
                        shipping_net__gte=0,
                        shipping_tax__gte=0,
                        shipping_tax_rate__gte=0,
                        shipping_total=F("shipping_net") + F("shipping_tax"),
                    )
                    | Q(
                        prices_include_tax=False,
                        shipping_tax__gte=0,
                        shipping_tax_rate__gte=0,
                        shipping_net=F("shipping_total"),
                    )
                ),
                name="order_shipping_tax_adds_up",
            ),
            models.CheckConstraint(
                condition=Q(discount_total=Round(F("offer_discount") + F("points_discount"), 2)),
                name="order_discount_is_offer_plus_points",
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "-placed_at", "-id"], name="order_customer_idx"),
            models.Index(fields=["store", "-placed_at"], name="order_store_idx"),
            models.Index(fields=["channel", "placed_at"], name="order_channel_idx"),
            # Orders by time, carrying what the insights sales figures sum (INCLUDE: an index-only
            # scan of a period's orders). Replaces placed_at's own.
            models.Index(
                fields=["placed_at"],
                include=["id", "store", "channel", "status", "currency", "total", "shipping_total"],
                name="order_placed_idx",
            ),
            # Insights' sales per seller: only assisted orders name one.
            models.Index(
                fields=["seller", "placed_at"],
                include=["store", "status", "total"],
                condition=Q(seller__isnull=False),
                name="order_seller_idx",
            ),
        ]

    def __str__(self):
        return self.number

    @property
    def shipping_paid(self) -> Decimal:
        """What the shopper paid for shipping: the charge, with its tax where that was added on top."""
        on_top = self.shipping_tax if not self.prices_include_tax and self.shipping_tax else Decimal("0.00")
        return self.shipping_total + on_top

    @property
    def shopper_name(self) -> str:
        """The name given with the order, else the profile's; "" for an email-only sign-up or a guest."""
        if self.contact_name:
            return self.contact_name
        return self.customer.full_name if self.customer_id else ""


class Fulfillment(models.Model):
    """How and where (part of) an order reaches the shopper; the pick-up state machine lives here.

    pickup/curbside: placed -> picking -> ready -> collected, or expired / cancelled.
    ship: placed -> picking -> shipped, or cancelled. carry_out (a till sale): collected at once.
    Stock for the lines is reserved at `location` under `reservation_reference`.
    """

    class Kind(models.TextChoices):
        PICKUP = "pickup", _("Pick-up in store")
        CURBSIDE = "curbside", _("Curbside pick-up")
        SHIP = "ship", _("Ship to address")
        CARRY_OUT = "carry_out", _("Carried out of the store")

    class Status(models.TextChoices):
        PLACED = "placed", _("To pick")
        PICKING = "picking", _("Picking")
        READY = "ready", _("Ready to collect")
        COLLECTED = "collected", _("Collected")
        SHIPPED = "shipped", _("Shipped")
        EXPIRED = "expired", _("Expired")
        CANCELLED = "cancelled", _("Cancelled")

    OPEN_STATUSES = (Status.PLACED, Status.PICKING, Status.READY)
    COLLECT_KINDS = (Kind.PICKUP, Kind.CURBSIDE)

    class Verification(models.TextChoices):
        QR = "qr", _("QR code scanned")
        CODE = "code", _("Pick-up code typed")
        ORDER_AND_ID = "order_id", _("Order number and photo ID")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="fulfillments", verbose_name=_("order"))
    kind = models.CharField(max_length=10, choices=Kind.choices, verbose_name=_("kind"))
    location = models.ForeignKey(
        "retail.Store", on_delete=models.PROTECT, related_name="fulfillments", verbose_name=_("location")
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PLACED, verbose_name=_("status"))
    reservation_reference = models.CharField(max_length=80, blank=True, verbose_name=_("reservation reference"))
    pickup_code = models.CharField(
        max_length=6, blank=True, help_text=_("Told to the shopper when ready."), verbose_name=_("pickup code")
    )
    qr_token = models.CharField(
        max_length=32, blank=True, help_text=_("Encoded in the pick-up QR code."), verbose_name=_("QR token")
    )
    proxy_name = models.CharField(
        max_length=120, blank=True, help_text=_("Someone the shopper named to collect."), verbose_name=_("proxy name")
    )
    hold_until = models.DateTimeField(
        null=True, blank=True, help_text=_("Ready pick-ups expire after this."), verbose_name=_("hold until")
    )
    reminder_sent_at = models.DateTimeField(null=True, blank=True, verbose_name=_("reminder sent at"))
    arrived_at = models.DateTimeField(
        null=True, blank=True, help_text=_("Curbside: the shopper said they are here."), verbose_name=_("arrived at")
    )
    arrival_note = models.CharField(
        max_length=200, blank=True, help_text=_("Curbside: car, bay..."), verbose_name=_("arrival note")
    )
    shipping_address = models.JSONField(default=dict, blank=True, verbose_name=_("shipping address"))
    tracking_number = models.CharField(max_length=60, blank=True, verbose_name=_("tracking number"))
    carrier = models.ForeignKey(
        "orders.Carrier",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Ship: who carries it."),
        verbose_name=_("carrier"),
    )
    promised_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text=_("Pick-up: when the shopper was told it would be ready (retail.promise)."),
        verbose_name=_("promised at"),
    )
    picked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("picked by"),
    )
    handed_over_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("handed over by"),
    )
    collected_by_name = models.CharField(max_length=160, blank=True, verbose_name=_("collected by name"))
    verification = models.CharField(
        max_length=10, choices=Verification.choices, blank=True, verbose_name=_("verification")
    )
    created_at = models.DateTimeField(verbose_name=_("created at"))
    picking_started_at = models.DateTimeField(null=True, blank=True, verbose_name=_("picking started at"))
    ready_at = models.DateTimeField(null=True, blank=True, verbose_name=_("ready at"))
    closed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("closed at"))

    class Meta:
        verbose_name = _("fulfillment")
        verbose_name_plural = _("fulfillments")
        ordering = ["order_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["location", "pickup_code"],
                condition=Q(status__in=["placed", "picking", "ready"]) & ~Q(pickup_code=""),
                name="fulfillment_open_pickup_code_unique",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["pickup", "curbside"]) | Q(pickup_code=""),
                name="fulfillment_code_only_for_pickup",
            ),
            models.CheckConstraint(
                condition=~Q(status="ready") | Q(hold_until__isnull=False), name="fulfillment_ready_has_hold"
            ),
        ]
        indexes = [
            models.Index(fields=["location", "status", "hold_until"], name="fulfillment_queue_idx"),
            models.Index(fields=["qr_token"], condition=~Q(qr_token=""), name="fulfillment_qr_idx"),
            models.Index(
                fields=["status", "hold_until"], condition=Q(status="ready"), name="fulfillment_ready_due_idx"
            ),
            # Insights' click-and-collect figures: pick-ups created in a period, every store or one.
            models.Index(
                fields=["created_at", "location"],
                condition=Q(kind__in=["pickup", "curbside"]),
                name="fulfillment_collect_idx",
            ),
        ]

    def __str__(self):
        return f"{self.order_id}/{self.get_kind_display()}@{self.location_id} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def is_collect(self) -> bool:
        return self.kind in self.COLLECT_KINDS

    @property
    def tracking_url(self) -> str:
        """The carrier's page for this parcel, "" without a carrier page or a tracking number."""
        return self.carrier.tracking_link(self.tracking_number) if self.carrier_id and self.tracking_number else ""


class OrderLine(models.Model):
    """One SKU of an order, with what was paid for it after its share of the order's discounts."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines", verbose_name=_("order"))
    fulfillment = models.ForeignKey(
        Fulfillment, on_delete=models.PROTECT, related_name="lines", verbose_name=_("fulfillment")
    )
    line_number = models.PositiveSmallIntegerField(verbose_name=_("line number"))
    variant = models.ForeignKey(
        "inventory.Variant", on_delete=models.PROTECT, related_name="+", verbose_name=_("variant")
    )
    sku = models.CharField(max_length=40, verbose_name=_("SKU"))
    name = models.CharField(max_length=200, verbose_name=_("name"))
    size = models.CharField(max_length=20, blank=True, verbose_name=_("size"))
    colour = models.CharField(max_length=40, blank=True, verbose_name=_("colour"))
    category = models.CharField(max_length=80, blank=True, verbose_name=_("category"))
    quantity = models.PositiveIntegerField(verbose_name=_("quantity"))
    unit_price = models.DecimalField(max_digits=10, decimal_places=2, verbose_name=_("unit price"))
    discount = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0.00"), verbose_name=_("discount"))
    total = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        help_text=_("Paid: quantity x unit price - discount, plus its tax where the order's prices exclude tax."),
        verbose_name=_("total"),
    )
    # Its tax in the order's market (retail.domain.tax: the lines' taxes sum to the order's, to the cent);
    # empty when none was recorded: lines from before tax, markets without rates.
    net = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Total less its tax."),
        verbose_name=_("net"),
    )
    tax_rate = models.DecimalField(
        max_digits=6, decimal_places=3, null=True, blank=True, help_text=_("Percent."), verbose_name=_("tax rate")
    )
    tax_amount = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True, verbose_name=_("tax amount")
    )
    picked_quantity = models.PositiveIntegerField(default=0, verbose_name=_("picked quantity"))
    cancelled_quantity = models.PositiveIntegerField(default=0, verbose_name=_("cancelled quantity"))

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["order_id", "line_number"]
        constraints = [
            models.UniqueConstraint(fields=["order", "line_number"], name="orderline_number_unique"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="orderline_quantity_positive"),
            models.CheckConstraint(condition=Q(discount__gte=0, total__gte=0), name="orderline_amounts_not_negative"),
            models.CheckConstraint(
                condition=Q(net__isnull=True, tax_rate__isnull=True, tax_amount__isnull=True)
                | Q(net__gte=0, tax_amount__gte=0, tax_rate__gte=0, total=F("net") + F("tax_amount")),
                name="orderline_tax_adds_up",
            ),
            models.CheckConstraint(
                condition=Q(picked_quantity__lte=F("quantity") - F("cancelled_quantity")),
                name="orderline_picked_within_quantity",
            ),
        ]
        # Short-picked lines are few: insights find them per order / per fulfilment without reading every line.
        indexes = [
            models.Index(fields=["order"], condition=Q(cancelled_quantity__gt=0), name="orderline_short_order_idx"),
            models.Index(
                fields=["fulfillment"], condition=Q(cancelled_quantity__gt=0), name="orderline_short_fulfil_idx"
            ),
        ]

    def __str__(self):
        return f"{self.order_id}#{self.line_number} {self.quantity} x {self.sku}"

    @property
    def open_quantity(self) -> int:
        return self.quantity - self.cancelled_quantity

    @property
    def to_pick(self) -> int:
        return self.open_quantity - self.picked_quantity


class StatusChange(models.Model):
    """The order's status history: every transition of the order or one of its fulfilments."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="history", verbose_name=_("order"))
    fulfillment = models.ForeignKey(
        Fulfillment, null=True, blank=True, on_delete=models.CASCADE, related_name="+", verbose_name=_("fulfillment")
    )
    from_status = models.CharField(max_length=10, blank=True, verbose_name=_("from status"))
    to_status = models.CharField(max_length=10, verbose_name=_("to status"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("actor"),
    )
    actor_label = models.CharField(max_length=200, blank=True, verbose_name=_("actor label"))
    note = models.CharField(max_length=300, blank=True, verbose_name=_("note"))
    occurred_at = models.DateTimeField(verbose_name=_("occurred at"))

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        ordering = ["occurred_at", "id"]
        indexes = [models.Index(fields=["order", "occurred_at"], name="statuschange_order_idx")]

    def __str__(self):
        return f"{self.order_id}: {self.from_status or '∅'} → {self.to_status}"
