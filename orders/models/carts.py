"""Carts: one open cart per signed-in shopper, shared by app, web and the associate in store."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from retail.domain.channel import CHANNEL_LENGTH, Channel


def new_cart_token() -> str:
    return secrets.token_urlsafe(24)


class Cart(models.Model):
    """A shopper's basket. Anonymous carts are reached by `token` until they are merged at sign-in.

    A "remote cart" is built by an associate in store (`built_by`, `built_in_store`) and sent to the
    shopper's account: it becomes (or joins) their one open cart.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CONVERTED = "converted", _("Checked out")
        MERGED = "merged", _("Merged into another cart")
        ABANDONED = "abandoned", _("Abandoned")

    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="carts",
        verbose_name=_("customer"),
    )
    token = models.CharField(
        max_length=40, unique=True, default=new_cart_token, editable=False, verbose_name=_("token")
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN, verbose_name=_("status"))
    channel = models.CharField(
        max_length=CHANNEL_LENGTH,
        default=Channel.WEB,
        help_text=_("Last channel that changed it."),
        verbose_name=_("channel"),
    )
    built_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("built by"),
    )
    built_in_store = models.ForeignKey(
        "retail.Store",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("built in store"),
    )
    sent_at = models.DateTimeField(
        null=True, blank=True, help_text=_("When an associate sent it to the shopper."), verbose_name=_("sent at")
    )
    market = models.ForeignKey(
        "retail.Market",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The market its lines are priced in (set by the first line)."),
        verbose_name=_("market"),
    )
    currency = models.CharField(
        max_length=3,
        blank=True,
        help_text=_("Its market's currency: every line is priced in it; empty until a line."),
        verbose_name=_("currency"),
    )
    country = models.CharField(
        max_length=2,
        blank=True,
        default="",
        help_text=_(
            "Where the shopper ships to (ISO 3166-1), if they said: the cart is priced in that country's market."
        ),
        verbose_name=_("country"),
    )
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("merged into")
    )
    created_at = models.DateTimeField(verbose_name=_("created at"))
    updated_at = models.DateTimeField(verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("cart")
        verbose_name_plural = _("carts")
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"],
                condition=Q(status="open", customer__isnull=False),
                name="cart_one_open_per_customer",
            ),
        ]

    def __str__(self):
        return _("Cart #%(pk)s (%(status)s)") % {"pk": self.pk, "status": self.get_status_display()}


class CartLine(models.Model):
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="lines", verbose_name=_("cart"))
    variant = models.ForeignKey(
        "inventory.Variant", on_delete=models.PROTECT, related_name="+", verbose_name=_("variant")
    )
    quantity = models.PositiveIntegerField(verbose_name=_("quantity"))
    price_when_added = models.DecimalField(max_digits=10, decimal_places=2, verbose_name=_("price when added"))
    added_at = models.DateTimeField(verbose_name=_("added at"))

    class Meta:
        verbose_name = _("cart line")
        verbose_name_plural = _("cart lines")
        ordering = ["added_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["cart", "variant"], name="cartline_variant_once"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="cartline_quantity_positive"),
        ]

    def __str__(self):
        return f"{self.quantity} x {self.variant_id}"


class SavedCart(models.Model):
    """A basket an associate put together for a shopper, kept on their profile (issue 18.2).

    Any associate may reopen it in the store they act for; sent, the shopper gets a signed link
    (orders.services.saved_carts) that loads it into their own cart once: `link_nonce` is the part of
    the link this row must still hold (sending again makes a new one), `opened_at` ends it.
    """

    class Status(models.TextChoices):
        SAVED = "saved", _("Saved")
        SENT = "sent", _("Sent to the shopper")
        OPENED = "opened", _("Opened by the shopper")

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="saved_carts", verbose_name=_("customer")
    )
    store = models.ForeignKey(
        "retail.Store", on_delete=models.PROTECT, related_name="+", help_text=_("Saved in."), verbose_name=_("store")
    )
    saved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("saved by"),
    )
    lines = models.JSONField(
        help_text=_('[["SKU", quantity], ...] in the order the associate added them.'), verbose_name=_("lines")
    )
    note = models.CharField(max_length=200, blank=True, verbose_name=_("note"))
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.SAVED, verbose_name=_("status"))
    link_nonce = models.CharField(max_length=32, blank=True, verbose_name=_("link nonce"))
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("sent by"),
    )
    sent_at = models.DateTimeField(null=True, blank=True, verbose_name=_("sent at"))
    link_expires_at = models.DateTimeField(null=True, blank=True, verbose_name=_("link expires at"))
    opened_at = models.DateTimeField(null=True, blank=True, verbose_name=_("opened at"))
    opened_into = models.ForeignKey(
        Cart, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("opened into")
    )
    created_at = models.DateTimeField(verbose_name=_("created at"))
    updated_at = models.DateTimeField(verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("saved cart")
        verbose_name_plural = _("saved carts")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="saved")
                | Q(sent_at__isnull=False, link_expires_at__isnull=False) & ~Q(link_nonce=""),
                name="savedcart_sent_has_link",
            ),
            models.CheckConstraint(
                condition=~Q(status="opened") | Q(opened_at__isnull=False), name="savedcart_opened_has_time"
            ),
        ]
        indexes = [models.Index(fields=["customer", "-created_at"], name="savedcart_customer_idx")]

    def __str__(self):
        return _("Saved cart #%(pk)s (%(status)s)") % {"pk": self.pk, "status": self.get_status_display()}

    @property
    def units(self) -> int:
        return sum(quantity for _, quantity in self.lines)
