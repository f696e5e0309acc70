from django.db import models
from django.utils.translation import gettext_lazy as _


class Report(models.Model):
    """No table: the admin's entry for the insights pages, and the `insights.view_report`
    permission that head office groups (merchandisers) are given to open them."""

    class Meta:
        managed = False
        db_table = "insights_report_none"
        verbose_name = _("channel insights report")
        verbose_name_plural = _("channel insights")
        default_permissions = ("view",)

    def __str__(self):
        return str(_("Channel insights"))
