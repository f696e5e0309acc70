"""Insights for store managers: their current store; superusers may choose any or all stores."""

from django.contrib import messages
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from insights.figures import FIGURES, SECTIONS, csv_lines
from insights.pages import read_request, section_context
from retail.models import Store, StoreMembership
from retail.portal.access import page_redirect, portal_view
from retail.replica import read_report

READ_CHAIN = "insights.view_report"  # head office's insights permission (the admin's page asks the same)


def _scope(request) -> dict:
    """Head office (superusers, or staff with the insights permission) choose stores; a manager sees
    the store they are working in."""
    if request.user.has_perm(READ_CHAIN):
        return {"stores": Store.objects.active().order_by("code")}
    return {"forced_store_ids": (request.store.pk,)}


def _refused(request):
    """Store managers read their store; head office with the permission, the chain. Others go back."""
    if request.store_role == StoreMembership.Role.MANAGER or request.user.has_perm(READ_CHAIN):
        return None
    messages.error(request, _("Only a manager of this store, or head office, can open that page."))
    return page_redirect(request, reverse("portal:dashboard"))


@portal_view
def index(request):
    if refused := _refused(request):
        return refused
    form, period, section = read_request(request, **_scope(request))

    def figures(source) -> dict:
        return {
            "form": form,
            "period": period,
            "sections": SECTIONS,
            "csv_url_name": "insights_portal:csv",
            "scope_label": _scope_label(request, period),
            "time_zone": timezone.get_current_timezone_name(),  # the store's: times "as counted at"
            "figures_source": source,
            **section_context(section, period),
        }

    # the replica when it is fresh enough, the primary if it fails mid-page (retail/replica.py)
    return render(request, "insights/index.html", read_report(request.user, figures))


@portal_view
def download(request, figure: str):
    if refused := _refused(request):
        return refused
    chosen = FIGURES.get(figure)
    if chosen is None:
        raise Http404(_("No such figure."))
    _form, period, _section = read_request(request, **_scope(request))
    return csv_response(chosen, period, user=request.user)


def csv_response(figure, period, *, user) -> StreamingHttpResponse:
    rows = read_report(user, lambda source: figure.rows(period))  # the rows are read here, streamed after
    response = StreamingHttpResponse(csv_lines(figure, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{figure.slug}_{period.start}_{period.end}.csv"'
    return response


def _scope_label(request, period) -> str:
    if period.store_ids is None:
        return _("All stores")
    if period.store_ids == (request.store.pk,):
        return f"{request.store.name} ({request.store.code})"
    return ", ".join(Store.objects.filter(pk__in=period.store_ids).order_by("code").values_list("code", flat=True))
