from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from retail.domain.channel import CHANNEL_LENGTH


class CustomerList(models.Model):
    """A wishlist or a shopping list that follows the shopper from app to web to store."""

    class Kind(models.TextChoices):
        WISHLIST = "wishlist", _("Wishlist")
        SHOPPING = "shopping", _("Shopping list")

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="lists", verbose_name=_("customer")
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, verbose_name=_("kind"))
    name = models.CharField(max_length=80, verbose_name=_("name"))
    created_at = models.DateTimeField(verbose_name=_("created at"))
    updated_at = models.DateTimeField(verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("customer list")
        verbose_name_plural = _("customer lists")
        ordering = ["kind", "name", "id"]
        constraints = [models.UniqueConstraint(fields=["customer", "kind", "name"], name="customer_list_name_unique")]

    def __str__(self):
        return self.name


class ListItem(models.Model):
    customer_list = models.ForeignKey(
        CustomerList, on_delete=models.CASCADE, related_name="items", verbose_name=_("customer list")
    )
    variant = models.ForeignKey(
        "inventory.Variant", on_delete=models.PROTECT, related_name="+", verbose_name=_("variant")
    )
    quantity = models.PositiveSmallIntegerField(default=1, verbose_name=_("quantity"))
    channel = models.CharField(
        max_length=CHANNEL_LENGTH, help_text=_("Where it was added: app, web, store..."), verbose_name=_("channel")
    )
    added_at = models.DateTimeField(verbose_name=_("added at"))

    class Meta:
        verbose_name = _("list item")
        verbose_name_plural = _("list items")
        ordering = ["-added_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["customer_list", "variant"], name="list_item_once_per_list"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="list_item_quantity_positive"),
        ]
        indexes = [models.Index(fields=["variant"], name="list_item_variant_idx")]

    def __str__(self):
        return f"{self.quantity} x {self.variant_id}"
