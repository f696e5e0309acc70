from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from retail.domain.channel import CHANNEL_LENGTH


class CustomerList(models.Model):
    """A wishlist or a shopping list that follows the shopper from app to web to store."""

    class Kind(models.TextChoices):
        WISHLIST = "wishlist", _("Wishlist")
        SHOPPING = "shopping", _("Shopping list")

    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="lists")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    name = models.CharField(max_length=80)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["kind", "name", "id"]
        constraints = [models.UniqueConstraint(fields=["customer", "kind", "name"], name="customer_list_name_unique")]

    def __str__(self):
        return self.name


class ListItem(models.Model):
    customer_list = models.ForeignKey(CustomerList, on_delete=models.CASCADE, related_name="items")
    variant = models.ForeignKey("inventory.Variant", on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveSmallIntegerField(default=1)
    channel = models.CharField(max_length=CHANNEL_LENGTH, help_text="Where it was added: app, web, store...")
    added_at = models.DateTimeField()

    class Meta:
        ordering = ["-added_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["customer_list", "variant"], name="list_item_once_per_list"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="list_item_quantity_positive"),
        ]
        indexes = [models.Index(fields=["variant"], name="list_item_variant_idx")]

    def __str__(self):
        return f"{self.quantity} x {self.variant_id}"
