"""Insights for store managers: their current store; superusers may choose any or all stores."""

from django.http import Http404, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from insights.figures import FIGURES, SECTIONS, csv_lines
from insights.pages import read_request, section_context
from retail.models import Store
from retail.portal.access import portal_view
from retail.replica import reporting


def _scope(request) -> dict:
    """Head office (superusers) choose stores; a manager sees the store they are working in."""
    if request.user.is_superuser:
        return {"stores": Store.objects.active().order_by("code")}
    return {"forced_store_ids": (request.store.pk,)}


@portal_view(manager_only=True)
def index(request):
    form, period, section = read_request(request, **_scope(request))
    with reporting(request.user) as source:  # the replica when it is fresh enough (retail/replica.py)
        context = {
            "form": form,
            "period": period,
            "sections": SECTIONS,
            "csv_url_name": "insights_portal:csv",
            "scope_label": _scope_label(request, period),
            "time_zone": timezone.get_current_timezone_name(),  # the store's: times "as counted at"
            "figures_source": source,
            **section_context(section, period),
        }
    return render(request, "insights/index.html", context)


@portal_view(manager_only=True)
def download(request, figure: str):
    chosen = FIGURES.get(figure)
    if chosen is None:
        raise Http404("No such figure.")
    _form, period, _section = read_request(request, **_scope(request))
    return csv_response(chosen, period, user=request.user)


def csv_response(figure, period, *, user) -> StreamingHttpResponse:
    with reporting(user):  # the rows are read here, streamed after
        rows = figure.rows(period)
    response = StreamingHttpResponse(csv_lines(figure, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{figure.slug}_{period.start}_{period.end}.csv"'
    return response


def _scope_label(request, period) -> str:
    if period.store_ids is None:
        return "All stores"
    if period.store_ids == (request.store.pk,):
        return f"{request.store.name} ({request.store.code})"
    return ", ".join(Store.objects.filter(pk__in=period.store_ids).order_by("code").values_list("code", flat=True))
