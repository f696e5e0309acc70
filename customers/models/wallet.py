"""The app's wallet pay code: a short-lived, single-use token the shopper shows as a QR at the till.

The till posts it with a `store_credit` tender; it names the shopper and allows one spend of their
store credit. Only its keyed hash is stored (like a gift card's number).
"""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class PayCode(models.Model):
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="pay_codes", verbose_name=_("customer")
    )
    code_hash = models.CharField(max_length=64, unique=True, editable=False, verbose_name=_("code hash"))
    created_at = models.DateTimeField(verbose_name=_("created at"))
    expires_at = models.DateTimeField(verbose_name=_("expires at"))
    used_at = models.DateTimeField(null=True, blank=True, verbose_name=_("used at"))
    used_for = models.CharField(
        max_length=100, blank=True, help_text=_("The order it paid."), verbose_name=_("used for")
    )

    class Meta:
        verbose_name = _("pay code")
        verbose_name_plural = _("pay codes")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(expires_at__gt=F("created_at")), name="pay_code_expiry_after_issue"),
            models.CheckConstraint(condition=Q(used_at__isnull=True) | ~Q(used_for=""), name="pay_code_used_for_one"),
        ]
        indexes = [models.Index(fields=["customer", "-created_at"], name="pay_code_customer_idx")]

    def __str__(self):
        return _("pay code #%(pk)s of customer %(customer)s") % {"pk": self.pk, "customer": self.customer_id}
