"""The app's wallet pay code: a short-lived, single-use token the shopper shows as a QR at the till.

The till posts it with a `store_credit` tender; it names the shopper and allows one spend of their
store credit. Only its keyed hash is stored (like a gift card's number).
"""

from django.db import models
from django.db.models import F, Q


class PayCode(models.Model):
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="pay_codes")
    code_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    used_for = models.CharField(max_length=100, blank=True, help_text="The order it paid.")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(expires_at__gt=F("created_at")), name="pay_code_expiry_after_issue"),
            models.CheckConstraint(condition=Q(used_at__isnull=True) | ~Q(used_for=""), name="pay_code_used_for_one"),
        ]
        indexes = [models.Index(fields=["customer", "-created_at"], name="pay_code_customer_idx")]

    def __str__(self):
        return f"pay code #{self.pk} of customer {self.customer_id}"
