"""Returns: the policy merchandisers edit, return requests (RMA) and their lines."""

from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.contrib.postgres.expressions import ArraySubquery
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Case, OuterRef, Q, When
from django.db.models.functions import JSONObject, Round
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from retail.domain.channel import CHANNEL_LENGTH, Channel, channel_choices
from retail.models.markets import home_market_id

ZERO = Decimal("0.00")


class Reason(models.TextChoices):
    WRONG_SIZE = "wrong_size", _("Wrong size or fit")
    CHANGED_MIND = "changed_mind", _("Changed their mind")
    NOT_AS_DESCRIBED = "not_as_described", _("Not as described")
    DEFECTIVE = "defective", _("Faulty")
    ARRIVED_DAMAGED = "arrived_damaged", _("Arrived damaged")
    WRONG_ITEM = "wrong_item", _("Wrong item sent")
    LATE = "late", _("Arrived too late")
    OTHER = "other", _("Other")


# Reasons that are the retailer's fault: no fees, longer window, final sale does not apply.
FAULT_REASONS = frozenset({Reason.DEFECTIVE, Reason.ARRIVED_DAMAGED, Reason.WRONG_ITEM, Reason.NOT_AS_DESCRIBED})


class Condition(models.TextChoices):
    NEW = "new", _("New, tags on")
    OPENED = "opened", _("Opened, as new")
    USED = "used", _("Worn or used")
    DAMAGED = "damaged", _("Damaged")


class Disposition(models.TextChoices):
    RESTOCK = "restock", _("Back on sale")
    DAMAGED = "damaged", _("Damaged (written off)")
    INSPECTION = "inspection", _("Held for inspection")


def standard_windows() -> dict[str, int]:
    """The built-in policy's windows (no policy in the database) and the seeds': 28 days for what
    was bought over a store's counter, 30 for every other channel."""
    return {channel.value: 28 if channel.in_store else 30 for channel in Channel}


class ShippingRefund(models.TextChoices):
    """When a return gives back what the order paid for shipping (once per order, whole, with its tax)."""

    WHOLE_ORDER = "whole_order", _("When the whole order comes back")
    WHOLE_ORDER_OR_FAULT = "whole_or_fault", _("When the whole order comes back, or every item returned is our fault")
    NEVER = "never", _("Never")


class ReturnPolicyQuerySet(models.QuerySet):
    def for_market(self, market_id: int | None) -> "ReturnPolicy":
        """The active policy of the market with its windows and its market, in one query; else the
        home market's (the fallback: see orders.returns.services.facts.rules_for_market); else the
        built-in policy (unsaved, the home market's, with `standard_windows()`) when head office has none.
        `market_id` None: the home market's."""
        window = JSONObject(channel="channel", days="days")
        rows = ArraySubquery(ReturnWindow.objects.filter(policy=OuterRef("pk")).order_by("channel").values(row=window))
        own = Q(market_id=market_id) if market_id is not None else Q(pk__in=[])
        found = (
            self.filter(own | Q(market__is_home=True), is_active=True)
            .select_related("market")
            .annotate(window_rows=rows, own=Case(When(own, then=0), default=1))
            .order_by("own")
            .first()
        )
        return found or ReturnPolicy(name="Default policy", market_id=None)

    def current(self) -> "ReturnPolicy":
        """The home market's active policy with its windows, in one query (or the built-in policy)."""
        return self.for_market(None)


class ReturnPolicy(models.Model):
    """The rules returns of what a market sold are judged by. One is active per market; merchandisers
    edit them in the admin. Its amounts (fees, limits) are in its market's currency. A market without
    an active policy of its own is judged by the home market's (its amounts converted at head office's
    exchange rate: orders.returns.services.facts.rules_for_market).

    Windows by category and style live on the catalog (Category / Product `return_window_days`,
    Product `final_sale`); the windows by channel are its `ReturnWindow` rows; this holds the money
    rules.
    """

    name = models.CharField(max_length=80, verbose_name=_("name"))
    market = models.ForeignKey(
        "retail.Market",
        on_delete=models.PROTECT,
        related_name="return_policies",
        default=home_market_id,
        help_text=_(
            "Returns of what this market sold are judged by this policy; its amounts are in the "
            "market's currency. A market without an active policy of its own uses the home market's."
        ),
        verbose_name=_("market"),
    )
    is_active = models.BooleanField(
        default=True, help_text=_("Only one policy is active per market at a time."), verbose_name=_("active")
    )
    fault_window_days = models.PositiveSmallIntegerField(
        default=180,
        help_text=_("Faulty, damaged on arrival, wrong or misdescribed items: returnable this long."),
        verbose_name=_("fault window days"),
    )
    restocking_fee_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("10.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text=_("Taken from worn or used items returned for a reason that is not our fault."),
        verbose_name=_("restocking fee percent"),
    )
    mail_return_fee = models.DecimalField(
        max_digits=8,
        decimal_places=2,
        default=Decimal("3.95"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Postage of a mail return, deducted unless every line is our fault."),
        verbose_name=_("mail return fee"),
    )
    receiptless_period_days = models.PositiveSmallIntegerField(
        default=90,
        help_text=_("Rolling period for the receipt-less limits."),
        verbose_name=_("receiptless period days"),
    )
    receiptless_max_returns = models.PositiveSmallIntegerField(
        default=2,
        help_text=_("Receipt-less returns per customer in the period without a manager."),
        verbose_name=_("receiptless max returns"),
    )
    receiptless_max_amount = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        default=Decimal("150.00"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Receipt-less credit per customer in the period without a manager."),
        verbose_name=_("receiptless max amount"),
    )
    receiptless_price_days = models.PositiveSmallIntegerField(
        default=30,
        help_text=_("Receipt-less returns are credited at the lowest price of the last N days."),
        verbose_name=_("receiptless price days"),
    )
    approval_over = models.DecimalField(
        _("manager approval over"),
        max_digits=10,
        decimal_places=2,
        default=Decimal("250.00"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Refunds above this amount need a manager of the store."),
    )
    offer_minimum_spend = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_(
            "Order-level offers need the kept goods to be worth this much; below it the offer's "
            "discount on kept items is taken back from the refund. 0 turns this off."
        ),
        verbose_name=_("offer minimum spend"),
    )
    shipping_refund = models.CharField(
        _("refund shipping"),
        max_length=16,
        choices=ShippingRefund.choices,
        default=ShippingRefund.WHOLE_ORDER,
        db_default=ShippingRefund.WHOLE_ORDER.value,
        help_text=_("When a return also refunds the order's shipping charge (once per order, whole, with its tax)."),
    )
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    objects = ReturnPolicyQuerySet.as_manager()

    class Meta:
        verbose_name = _("return policy")
        verbose_name_plural = _("return policies")
        constraints = [
            models.UniqueConstraint(
                fields=["market"], condition=Q(is_active=True), name="returnpolicy_one_active_per_market"
            ),
            models.CheckConstraint(
                condition=Q(restocking_fee_percent__gte=0, restocking_fee_percent__lte=100),
                name="returnpolicy_fee_percent_range",
            ),
        ]

    def __str__(self):
        return _("%(name)s (active)") % {"name": self.name} if self.is_active else self.name

    @property
    def currency(self) -> str:
        """Its amounts' currency: its market's (the built-in policy: the deployment's)."""
        return self.market.currency if self.market_id else (settings.CURRENCY or "EUR").upper()

    def validate_constraints(self, exclude=None):
        # Activating a policy retires its market's active one in save_return_policy's transaction; the
        # database constraint still guarantees a single active policy per market.
        super().validate_constraints(exclude={*(exclude or ()), "is_active"})

    def windows_by_channel(self) -> dict[str, int]:
        """{channel: days} from this policy's rows (read with it by `current()`, else one query). The
        built-in policy (unsaved) has `standard_windows()`. A channel without a row has no window."""
        if self.pk is None:
            return standard_windows()
        rows = getattr(self, "window_rows", None)
        if rows is None:
            rows = list(self.windows.values("channel", "days"))
        return {row["channel"]: row["days"] for row in rows}


class ReturnWindow(models.Model):
    """How many days after purchase goods bought on one channel can come back, under one policy.

    One row per (policy, channel); the channel is the kernel's (retail.domain.channel). A channel
    with no row has no window: its purchases come back only with a manager's approval (or when
    faulty, inside the fault window; or inside a category's or a style's own window). Nothing
    falls back to another channel's window.
    """

    policy = models.ForeignKey(ReturnPolicy, on_delete=models.CASCADE, related_name="windows", verbose_name=_("policy"))
    channel = models.CharField(max_length=CHANNEL_LENGTH, choices=channel_choices, verbose_name=_("channel"))
    days = models.PositiveSmallIntegerField(_("window (days)"))

    class Meta:
        verbose_name = _("return window")
        verbose_name_plural = _("return windows")
        ordering = ["policy", "channel"]
        constraints = [models.UniqueConstraint(fields=["policy", "channel"], name="returnwindow_one_per_channel")]

    def __str__(self):
        return _("%(channel)s: %(days)s days") % {"channel": self.get_channel_display(), "days": self.days}


class ReturnRequest(models.Model):
    """One return (RMA): what comes back from one order (or without a receipt), and what is given back.

    `rma_number` is what people read and type (RMA-XXXX-XXXX, random, not enumerable); online
    returns carry `qr_token` in a QR code the store scans.
    """

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        RECEIVED = "received", _("Received")
        INSPECTED = "inspected", _("Inspected")
        REFUNDED = "refunded", _("Refunded")
        EXCHANGED = "exchanged", _("Exchanged")
        REJECTED = "rejected", _("Rejected")
        CANCELLED = "cancelled", _("Cancelled")

    OPEN_STATUSES = (Status.REQUESTED, Status.RECEIVED, Status.INSPECTED)
    DONE_STATUSES = (Status.REFUNDED, Status.EXCHANGED)
    LIVE_STATUSES = (*OPEN_STATUSES, *DONE_STATUSES)  # hold units of the order's lines

    class Method(models.TextChoices):
        IN_STORE = "in_store", _("In store")
        MAIL = "mail", _("By mail")

    class RefundMethod(models.TextChoices):
        ORIGINAL = "original", _("Original payment")
        STORE_CREDIT = "store_credit", _("Store credit")
        EXCHANGE = "exchange", _("Exchange")

    rma_number = models.CharField(_("RMA number"), max_length=20, unique=True)
    qr_token = models.CharField(max_length=32, unique=True, verbose_name=_("QR token"))
    order = models.ForeignKey(
        "orders.Order", null=True, blank=True, on_delete=models.PROTECT, related_name="returns", verbose_name=_("order")
    )
    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="returns",
        verbose_name=_("customer"),
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REQUESTED, verbose_name=_("status"))
    method = models.CharField(max_length=10, choices=Method.choices, default=Method.IN_STORE, verbose_name=_("method"))
    channel = models.CharField(
        max_length=CHANNEL_LENGTH,
        help_text=_("Where the return was started: app, web, store..."),
        verbose_name=_("channel"),
    )
    receiptless = models.BooleanField(default=False, verbose_name=_("receiptless"))
    started_store = models.ForeignKey(
        "retail.Store",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("started store"),
    )
    store = models.ForeignKey(
        "retail.Store",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="returns",
        help_text=_("Where the goods were received."),
        verbose_name=_("store"),
    )
    device = models.ForeignKey(
        "retail.PosDevice", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("device")
    )
    receipt_number = models.CharField(
        max_length=40, blank=True, help_text=_("POS returns: the till's receipt."), verbose_name=_("receipt number")
    )
    receipt_fingerprint = models.CharField(
        max_length=64,
        blank=True,
        default="",
        db_default="",
        editable=False,
        help_text=_("POS returns: a keyed hash of the return the till first sent with its receipt number."),
        verbose_name=_("receipt fingerprint"),
    )
    # what the shopper was told about it (orders' one Notification model; deleted with it)
    notifications = GenericRelation(
        "orders.Notification", content_type_field="subject_type", object_id_field="subject_id"
    )
    submission_key = models.CharField(
        max_length=64,
        blank=True,
        editable=False,
        help_text=_("The desk form's one-time key: a double click returns once."),
        verbose_name=_("submission key"),
    )
    # Money, set when refunded (estimates shown before come from the policy engine), all in `currency`
    currency = models.CharField(
        max_length=3,
        help_text=_("Of every amount of the return: its order's; without a receipt, the returning store's market's."),
        verbose_name=_("currency"),
    )
    goods_total = models.DecimalField(max_digits=12, decimal_places=2, default=ZERO, verbose_name=_("goods total"))
    fees_total = models.DecimalField(max_digits=12, decimal_places=2, default=ZERO, verbose_name=_("fees total"))
    clawback_total = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        default=ZERO,
        help_text=_("Offer discount taken back (negative: given back when the rest of the order came back too)."),
        verbose_name=_("clawback total"),
    )
    shipping_refund = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        default=ZERO,
        db_default=ZERO,  # rows copied in without it (benchmark datasets, COPY) give back none
        help_text=_("The order's shipping given back with this return."),
        verbose_name=_("shipping refund"),
    )
    shipping_tax = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("The tax within the shipping given back."),
        verbose_name=_("shipping tax"),
    )
    refund_total = models.DecimalField(max_digits=12, decimal_places=2, default=ZERO, verbose_name=_("refund total"))
    refund_method = models.CharField(
        max_length=12, choices=RefundMethod.choices, blank=True, verbose_name=_("refund method")
    )
    refunded_to_tenders = models.DecimalField(
        max_digits=12, decimal_places=2, default=ZERO, verbose_name=_("refunded to tenders")
    )
    refunded_to_credit = models.DecimalField(
        max_digits=12, decimal_places=2, default=ZERO, verbose_name=_("refunded to credit")
    )
    exchange_order = models.ForeignKey(
        "orders.Order",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="exchanged_from",
        verbose_name=_("exchange order"),
    )
    exchange_charged = models.DecimalField(
        max_digits=12, decimal_places=2, default=ZERO, verbose_name=_("exchange charged")
    )
    points_reversed = models.PositiveIntegerField(default=0, verbose_name=_("points reversed"))
    summary = models.JSONField(
        default=list, blank=True, help_text=_("The request-level explanations."), verbose_name=_("summary")
    )
    summaries = models.JSONField(
        default=dict,
        blank=True,
        help_text=_("The request-level explanations in each language of the portal, by language code."),
        verbose_name=_("summaries"),
    )
    # Approval
    approval_required = models.BooleanField(default=False, verbose_name=_("approval required"))
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(null=True, blank=True, verbose_name=_("approved at"))
    approval_reason = models.CharField(max_length=300, blank=True, verbose_name=_("approval reason"))
    note = models.CharField(max_length=300, blank=True, verbose_name=_("note"))
    # Who and when
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("received by"),
    )
    created_at = models.DateTimeField(db_index=True, verbose_name=_("created at"))
    received_at = models.DateTimeField(null=True, blank=True, verbose_name=_("received at"))
    inspected_at = models.DateTimeField(null=True, blank=True, verbose_name=_("inspected at"))
    closed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("closed at"))
    updated_at = models.DateTimeField(verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("return request")
        verbose_name_plural = _("return requests")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["submission_key"], condition=~Q(submission_key=""), name="return_desk_submission_once"
            ),
            models.UniqueConstraint(
                fields=["started_store", "receipt_number"],
                condition=~Q(receipt_number=""),
                name="return_receipt_once_per_store",
            ),
            models.CheckConstraint(
                condition=Q(receiptless=True, order__isnull=True) | Q(receiptless=False, order__isnull=False),
                name="return_receipt_or_order",
            ),
            models.CheckConstraint(
                condition=Q(
                    goods_total__gte=0,
                    fees_total__gte=0,
                    refund_total__gte=0,
                    refunded_to_tenders__gte=0,
                    refunded_to_credit__gte=0,
                    exchange_charged__gte=0,
                ),
                name="return_amounts_not_negative",
            ),
            models.CheckConstraint(
                # Compared at the cent, whatever scale the subtraction carries.
                condition=Q(
                    refund_total=Round(
                        models.F("goods_total")
                        - models.F("fees_total")
                        - models.F("clawback_total")
                        + models.F("shipping_refund"),
                        2,
                    )
                ),
                name="return_refund_is_goods_less_deductions_plus_shipping",
            ),
            models.CheckConstraint(
                condition=Q(shipping_refund__gte=0)
                & (
                    Q(shipping_tax__isnull=True) | Q(shipping_tax__gte=0, shipping_tax__lte=models.F("shipping_refund"))
                ),
                name="return_shipping_tax_within_refund",
            ),
            # An order's shipping is given back once: by the one done return that refunded it.
            models.UniqueConstraint(
                fields=["order"],
                condition=Q(shipping_refund__gt=0, status__in=["refunded", "exchanged"]),
                name="return_shipping_refunded_once",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["refunded", "exchanged"]) | ~Q(refund_method=""),
                name="return_done_has_refund_method",
            ),
        ]
        indexes = [
            models.Index(fields=["store", "status", "-created_at"], name="return_store_status_idx"),
            models.Index(fields=["customer", "-created_at"], name="return_customer_idx"),
            models.Index(fields=["order", "status"], name="return_order_idx"),
            models.Index(fields=["received_at"], name="return_received_idx"),  # insights: returns received in a period
        ]

    def __str__(self):
        return self.rma_number

    @property
    def worded_summary(self) -> list[str]:
        """The request-level explanations in the active language, else as judged (rows judged before)."""
        worded = self.summaries.get(get_language() or "") if isinstance(self.summaries, dict) else None
        return worded if isinstance(worded, list) else self.summary

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def is_approved(self) -> bool:
        return self.approved_at is not None


class ReturnLine(models.Model):
    """Units of one order line (or of a SKU, without receipt) coming back, with the policy's verdict."""

    class Verdict(models.TextChoices):
        ELIGIBLE = "eligible", _("Eligible")
        NEEDS_APPROVAL = "approval", _("Needs a manager")

    request = models.ForeignKey(
        ReturnRequest, on_delete=models.CASCADE, related_name="lines", verbose_name=_("request")
    )
    order_line = models.ForeignKey(
        "orders.OrderLine",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="return_lines",
        verbose_name=_("order line"),
    )
    variant = models.ForeignKey(
        "inventory.Variant", on_delete=models.PROTECT, related_name="+", verbose_name=_("variant")
    )
    sku = models.CharField(max_length=40, verbose_name=_("SKU"))
    name = models.CharField(max_length=200, verbose_name=_("name"))
    quantity = models.PositiveIntegerField(verbose_name=_("quantity"))
    reason = models.CharField(max_length=20, choices=Reason.choices, verbose_name=_("reason"))
    reason_note = models.CharField(max_length=200, blank=True, verbose_name=_("reason note"))
    condition = models.CharField(
        max_length=10, choices=Condition.choices, default=Condition.NEW, verbose_name=_("condition")
    )
    disposition = models.CharField(
        max_length=12, choices=Disposition.choices, blank=True, verbose_name=_("disposition")
    )
    unit_basis = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        default=ZERO,
        help_text=_("Receipt-less: the price credited per unit."),
        verbose_name=_("unit basis"),
    )
    amount = models.DecimalField(
        max_digits=12, decimal_places=2, default=ZERO, help_text=_("Paid for these units."), verbose_name=_("amount")
    )
    tax_amount = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("The tax within the amount, given back with it (empty when the order line recorded none)."),
        verbose_name=_("tax amount"),
    )
    fee = models.DecimalField(
        max_digits=12, decimal_places=2, default=ZERO, help_text=_("Restocking fee."), verbose_name=_("fee")
    )
    verdict = models.CharField(
        max_length=10, choices=Verdict.choices, default=Verdict.ELIGIBLE, verbose_name=_("verdict")
    )
    explanation = models.TextField(help_text=_("The policy's verdict in words."), verbose_name=_("explanation"))
    explanations = models.JSONField(
        default=dict,
        blank=True,
        help_text=_("The verdict in each language of the portal, by language code."),
        verbose_name=_("explanations"),
    )
    inspection_released_at = models.DateTimeField(null=True, blank=True, verbose_name=_("inspection released at"))

    class Meta:
        verbose_name = _("return line")
        verbose_name_plural = _("return lines")
        ordering = ["request_id", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="returnline_quantity_positive"),
            models.CheckConstraint(
                condition=Q(amount__gte=0, fee__gte=0, unit_basis__gte=0) & Q(fee__lte=models.F("amount")),
                name="returnline_amounts_valid",
            ),
            models.CheckConstraint(
                condition=Q(tax_amount__isnull=True) | Q(tax_amount__gte=0, tax_amount__lte=models.F("amount")),
                name="returnline_tax_within_amount",
            ),
        ]
        indexes = [models.Index(fields=["order_line"], name="returnline_order_line_idx")]

    def __str__(self):
        return f"{self.request_id}: {self.quantity} x {self.sku}"

    @property
    def worded_explanation(self) -> str:
        """The verdict in the active language, else as judged (rows judged before, a language added since)."""
        worded = self.explanations.get(get_language() or "") if isinstance(self.explanations, dict) else None
        return worded if isinstance(worded, str) and worded else self.explanation
