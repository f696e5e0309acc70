"""Head office reads the same insights in the admin, for every store (needs `insights.view_report`)."""

from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from insights.figures import FIGURES, SECTIONS
from insights.models import Report
from insights.pages import read_request, section_context
from insights.portal.views import csv_response
from retail.markets import market_currency
from retail.models import Store
from retail.replica import read_report


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        csv_view = self.admin_site.admin_view(self.csv_view)
        return [path("csv/<slug:figure>/", csv_view, name="insights_report_csv"), *super().get_urls()]

    def _check(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied

    def changelist_view(self, request, extra_context=None):
        self._check(request)
        form, period, section = read_request(request, stores=Store.objects.active().order_by("code"))

        def figures(source) -> dict:
            return {
                **self.admin_site.each_context(request),
                "title": _("Channel insights · %(section)s") % {"section": dict(SECTIONS)[section]},
                "opts": self.model._meta,
                "form": form,
                "period": period,
                "sections": SECTIONS,
                "csv_url_name": "admin:insights_report_csv",
                "currency": market_currency(),
                "time_zone": settings.TIME_ZONE,
                "scope_label": _("All stores")
                if period.store_ids is None
                else ngettext("%(count)s store", "%(count)s stores", len(period.store_ids))
                % {"count": len(period.store_ids)},
                "figures_source": source,
                **section_context(section, period),
            }

        # the replica when it is fresh enough, the primary if it fails mid-page (retail/replica.py)
        return TemplateResponse(request, "insights/admin_report.html", read_report(request.user, figures))

    def csv_view(self, request, figure: str):
        self._check(request)
        chosen = FIGURES.get(figure)
        if chosen is None:
            raise Http404(_("No such figure."))
        _form, period, _section = read_request(request, stores=Store.objects.active())
        return csv_response(chosen, period, user=request.user)
