"""What was paid and how (never card data), and what the shopper was told."""

from decimal import Decimal

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from retail.domain.money import format_money


class Payment(models.Model):
    """One tender of an order. Only the provider's reference, the brand and last four are kept."""

    class Method(models.TextChoices):
        CARD = "card", _("Card")
        GIFT_CARD = "gift_card", _("Gift card")
        STORE_CREDIT = "store_credit", _("Store credit")
        CASH = "cash", _("Cash")

    class Status(models.TextChoices):
        AUTHORIZED = "authorized", _("Authorised")
        CAPTURED = "captured", _("Captured")
        VOIDED = "voided", _("Voided")
        REFUNDED = "refunded", _("Refunded")

    order = models.ForeignKey(
        "orders.Order", on_delete=models.CASCADE, related_name="payments", verbose_name=_("order")
    )
    method = models.CharField(max_length=12, choices=Method.choices, verbose_name=_("method"))
    provider = models.CharField(
        max_length=30, help_text=_("Which provider holds it: test, store_credit, cash..."), verbose_name=_("provider")
    )
    reference = models.CharField(
        max_length=80, help_text=_("The provider's reference for the authorisation."), verbose_name=_("reference")
    )
    brand = models.CharField(max_length=20, blank=True, verbose_name=_("brand"))
    last4 = models.CharField(max_length=4, blank=True, verbose_name=_("last4"))
    amount = models.DecimalField(max_digits=12, decimal_places=2, help_text=_("Authorised."), verbose_name=_("amount"))
    captured_amount = models.DecimalField(
        max_digits=12, decimal_places=2, default=Decimal("0.00"), verbose_name=_("captured amount")
    )
    refunded_amount = models.DecimalField(
        max_digits=12, decimal_places=2, default=Decimal("0.00"), verbose_name=_("refunded amount")
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.AUTHORIZED, verbose_name=_("status")
    )
    created_at = models.DateTimeField(verbose_name=_("created at"))
    updated_at = models.DateTimeField(verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["order_id", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(captured_amount__gte=0, captured_amount__lte=F("amount")),
                name="payment_capture_within_amount",
            ),
            models.CheckConstraint(
                condition=Q(refunded_amount__gte=0, refunded_amount__lte=F("captured_amount")),
                name="payment_refund_within_capture",
            ),
            models.CheckConstraint(condition=Q(last4="") | Q(last4__regex=r"^[0-9]{4}$"), name="payment_last4_digits"),
        ]

    def __str__(self):
        return f"{self.method} {format_money(self.amount, self.order.currency)} ({self.status})"

    @property
    def refundable(self) -> Decimal:
        return self.captured_amount - self.refunded_amount


class PaymentRequest(models.Model):
    """How an order placed by an associate (endless aisle) is to be paid, and whether it was.

    till: the shopper pays at this store's till; the POS receipt that names the order settles it
    (pos/sales with `settles`). link: the shopper is sent a pay-by-link (`token`, random, in the
    message's URL) and pays on the provider's page. Unpaid at `expires_at`, the order is cancelled
    and its reservations released (beat: orders.tasks.expire_payment_requests).
    `placement_key` is the portal form's: a double submit finds the first order instead of placing two.
    """

    class Method(models.TextChoices):
        TILL = "till", _("At the till")
        LINK = "link", _("Pay-by-link")

    class Status(models.TextChoices):
        PENDING = "pending", _("Payment pending")
        PAID = "paid", _("Paid")
        EXPIRED = "expired", _("Expired unpaid")
        CANCELLED = "cancelled", _("Cancelled")

    order = models.OneToOneField(
        "orders.Order", on_delete=models.CASCADE, related_name="payment_request", verbose_name=_("order")
    )
    method = models.CharField(max_length=4, choices=Method.choices, verbose_name=_("method"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, verbose_name=_("status"))
    amount = models.DecimalField(
        max_digits=12, decimal_places=2, help_text=_("Due: the order's total."), verbose_name=_("amount")
    )
    token = models.CharField(
        max_length=48, blank=True, help_text=_("Pay-by-link: the secret part of the link."), verbose_name=_("token")
    )
    placement_key = models.CharField(max_length=64, unique=True, verbose_name=_("placement key"))
    expires_at = models.DateTimeField(verbose_name=_("expires at"))
    sent_at = models.DateTimeField(null=True, blank=True, verbose_name=_("sent at"))
    paid_at = models.DateTimeField(null=True, blank=True, verbose_name=_("paid at"))
    closed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("closed at"))
    created_at = models.DateTimeField(verbose_name=_("created at"))

    class Meta:
        verbose_name = _("payment request")
        verbose_name_plural = _("payment requests")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="paymentrequest_amount_not_negative"),
            models.UniqueConstraint(fields=["token"], condition=~Q(token=""), name="paymentrequest_token_unique"),
            models.CheckConstraint(
                condition=Q(method="till", token="") | Q(method="link") & ~Q(token=""),
                name="paymentrequest_token_only_for_link",
            ),
            models.CheckConstraint(
                condition=~Q(status="paid") | Q(paid_at__isnull=False), name="paymentrequest_paid_has_time"
            ),
        ]
        indexes = [
            models.Index(fields=["expires_at"], condition=Q(status="pending"), name="paymentrequest_due_idx"),
        ]

    def __str__(self):
        return f"{self.method} {format_money(self.amount, self.order.currency)} ({self.status})"

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING


class Notification(models.Model):
    """One service message to a shopper on one channel (or held back), once per outbox message:
    about an order (ready, reminder, receipt...) or a return (received, refunded...). What it is
    about is `subject` (an Order, or a returns.ReturnRequest: orders never imports returns) and, for
    reading and searching, its `reference` (order or RMA number). See orders.notifications."""

    class Kind(models.TextChoices):
        READY = "ready", _("Ready to collect")
        REMINDER = "reminder", _("Pick-up reminder")
        EXPIRED = "expired", _("Pick-up expired")
        COLLECTED = "collected", _("Collected (receipt)")
        SHIPPED = "shipped", _("Shipped")
        CANCELLED = "cancelled", _("Cancelled")
        PAY_LINK = "pay_link", _("Pay-by-link")
        RECEIVED = "received", _("Return received")
        REFUNDED = "refunded", _("Refund issued")
        EXCHANGED = "exchanged", _("Exchange placed")
        REJECTED = "rejected", _("Return rejected")

    class Status(models.TextChoices):
        SENT = "sent", _("Sent")
        NO_CONSENT = "no_consent", _("Held back: no consent")  # rows from before service messages ignored consent
        NO_CONTACT = "no_contact", _("Held back: no address")

    subject_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, related_name="+", verbose_name=_("subject type")
    )
    subject_id = models.PositiveBigIntegerField(verbose_name=_("subject ID"))
    subject = GenericForeignKey("subject_type", "subject_id")
    reference = models.CharField(
        max_length=40, help_text=_("The order or RMA number the message is about."), verbose_name=_("reference")
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, verbose_name=_("kind"))
    channel = models.CharField(max_length=8, verbose_name=_("channel"))
    recipient = models.CharField(max_length=255, blank=True, verbose_name=_("recipient"))
    status = models.CharField(max_length=10, choices=Status.choices, verbose_name=_("status"))
    message_key = models.CharField(
        max_length=40,
        help_text=_("outbox:<id> — the idempotency key given to the adapter."),
        verbose_name=_("message key"),
    )
    created_at = models.DateTimeField(verbose_name=_("created at"))

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["message_key", "channel"], name="notification_once_per_message_channel")
        ]
        indexes = [models.Index(fields=["subject_type", "subject_id", "kind"], name="notification_subject_idx")]

    def __str__(self):
        return _("%(kind)s via %(channel)s (%(status)s)") % {
            "kind": self.get_kind_display(),
            "channel": self.channel,
            "status": self.get_status_display(),
        }
