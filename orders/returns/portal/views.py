"""The returns desk: find the purchase -> choose lines -> verdicts -> approve -> refund -> receipt.

Views are thin: find through selectors, write through services, render. Everything the policy
says comes from the engine; a refusal (a ReturnError) is shown on the same page with nothing written.
"""

import uuid

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from customers.portal.access import customer_for_request
from customers.search import search_customers
from orders.returns import selectors, services
from orders.returns.errors import ReturnError
from orders.returns.models import Condition, Disposition, Reason, ReturnRequest
from orders.returns.numbers import qr_svg
from orders.returns.policy import allowed_refund_methods
from orders.returns.portal import forms
from orders.returns.portal.panels import returns_panel
from orders.returns.services.facts import returnable_lines
from retail.portal.access import portal_view

PURCHASES_PER_PAGE = 20
DESK_HITS = 10  # shoppers listed at the desk; when more match, the associate is asked to narrow it
CHOICES = {
    "reasons": Reason.choices,
    "conditions": Condition.choices,
    "dispositions": Disposition.choices,
}


def _customer(request, customer_id: int):
    return customer_for_request(request, customer_id)


def _return(rma_number: str) -> ReturnRequest:
    found = selectors.find_return(rma_number)
    if found is None:
        raise Http404("No such return.")
    return found


@require_GET
@portal_view
def desk(request):
    """Scan the RMA QR, type an order or receipt number, or look the shopper up; plus returns in progress."""
    query = request.GET.get("q", "").strip()
    hits, not_found = [], False
    if query:
        found = selectors.find_return(query)
        if found is not None:
            return redirect("returns_portal:detail", rma_number=found.rma_number)
        order = selectors.find_order(query)
        if order is not None:
            return redirect("returns_portal:order", number=order.number)
        hits = search_customers(
            query, limit=DESK_HITS + 1, region=request.store.country
        )  # one more: the list says when more match
        if len(hits) == 1 and hits[0].matched in {"phone", "card", "email"}:
            return redirect("returns_portal:purchases", customer_id=hits[0].customer.pk)
        not_found = not hits
    context = {
        "query": query,
        "hits": hits[:DESK_HITS],
        "more_hits": len(hits) > DESK_HITS,
        "not_found": not_found,
        "in_progress": selectors.returns_in_progress(store=request.store),
        "recent": selectors.recent_returns(store=request.store),
    }
    return render(request, "returns/desk.html", context)


@require_GET
@portal_view
def purchases(request, customer_id: int):
    """The shopper's delivered purchases on every channel: pick the one coming back, or go receipt-less."""
    customer = _customer(request, customer_id)
    try:
        page = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page = 1
    orders = selectors.returnable_orders_of(
        customer, limit=PURCHASES_PER_PAGE + 1, offset=(page - 1) * PURCHASES_PER_PAGE
    )
    return render(
        request,
        "returns/purchases.html",
        {
            "customer": customer,
            "orders": orders[:PURCHASES_PER_PAGE],
            "page": page,
            "older": page + 1 if len(orders) > PURCHASES_PER_PAGE else None,
            "newer": page - 1 if page > 1 else None,
        },
    )


def _order_rows(order, chosen: dict) -> list[dict]:
    """The order's lines with what can still come back: the same count the service enforces (one query)."""
    returnable = returnable_lines(list(order.lines.all()))
    return [
        {
            "line": row.line,
            "delivered": row.delivered,
            "left": row.left,
            "options": range(1, row.left + 1),
            "chosen": chosen.get(row.line.line_number),
        }
        for row in returnable.values()
    ]


def _verdict_context(items, verdict, *, receiptless: bool, known_shopper: bool, data=None) -> dict:
    """The verdicts and the ways to give back the money the service will accept for this return."""
    allowed = allowed_refund_methods(receiptless=receiptless, known_shopper=known_shopper).allowed
    return {
        "items": items,
        "verdict": verdict,
        "receiptless": receiptless,
        "data": data or {},
        "refund_choices": [(value, label) for value, label in forms.REFUND_CHOICES if value in allowed],
        "can_exchange": ReturnRequest.RefundMethod.EXCHANGE in allowed,
    }


def _show_error(request, exc: ReturnError) -> None:
    messages.error(request, exc.message)


def _submission_key(request) -> str:
    """The desk form's one-time key: a double click (or a resent form) returns the goods once."""
    key = (request.POST.get("submission_key") or "").strip() if request.method == "POST" else ""
    return key[:64] or uuid.uuid4().hex


def _complete(request, *, key, lines, **purchase):
    """Submit the desk form: the receipt on success, the first answer on a resubmission, else None
    (the error is shown on the page). `purchase` is order=... or customer=... (receipt-less)."""
    missing = forms.missing_reasons(lines)
    if missing:  # a form error: the desk never picks a reason for the associate
        already = _already_done(key)
        if already is not None:
            return already
        messages.error(
            request,
            ngettext(
                "Choose why %(items)s is coming back (the reason). Nothing was returned yet.",
                "Choose why %(items)s are coming back (the reason). Nothing was returned yet.",
                len(missing),
            )
            % {"items": ", ".join(missing)},
        )
        return None
    settlement = forms.settlement_from(request.POST)
    try:
        done = services.complete_return(
            store=request.store,
            actor=request.user,
            refund_method=settlement.method,
            lines=lines,
            approval=settlement.approval,
            exchange=settlement.exchange,
            submission_key=key,
            **purchase,
        )
    except ReturnError as exc:
        already = _already_done(key)
        if already is not None:
            return already
        _show_error(request, exc)
        return None
    return redirect("returns_portal:receipt", rma_number=done.rma_number)


def _already_done(key: str):
    found = ReturnRequest.objects.filter(submission_key=key).only("rma_number").first() if key else None
    return redirect("returns_portal:receipt", rma_number=found.rma_number) if found else None


@require_http_methods(["GET", "POST"])
@portal_view
def order_return(request, number: str):
    """Choose the lines of one order, see the verdicts as you go, settle and print the receipt."""
    # a submission is settled without showing the payments (read only if the page is shown again)
    order = selectors.find_order(number, payments=request.method != "POST")
    if order is None:
        raise Http404("No such order.")
    data = request.POST if request.method == "POST" else {}
    lines = forms.order_lines_from(data, order.lines.all())
    key = _submission_key(request)
    if request.method == "POST":
        answer = _complete(request, key=key, lines=lines, order=order)
        if answer is not None:
            return answer
    items, verdict = selectors.preview_return(order=order, lines=lines, customer=order.customer)
    context = {
        "order": order,
        "rows": _order_rows(order, {spec.line_number: spec for spec in lines}),
        "submission_key": key,
        "preview_url": reverse("returns_portal:order-preview", kwargs={"number": order.number}),
        **CHOICES,
        **_verdict_context(items, verdict, receiptless=False, known_shopper=order.customer_id is not None, data=data),
    }
    return render(request, "returns/order.html", context, status=400 if request.method == "POST" else 200)


@require_POST
@portal_view
def order_preview(request, number: str):
    """htmx: the verdicts for the lines as chosen so far (nothing is written)."""
    order = selectors.find_order(number, payments=False)
    if order is None:
        raise Http404("No such order.")
    lines = forms.order_lines_from(request.POST, order.lines.all())
    items, verdict = selectors.preview_return(order=order, lines=lines, customer=order.customer)
    return render(
        request,
        "returns/partials/verdicts.html",
        _verdict_context(
            items, verdict, receiptless=False, known_shopper=order.customer_id is not None, data=request.POST
        ),
    )


@require_http_methods(["GET", "POST"])
@portal_view
def receiptless(request, customer_id: int):
    """A return without a receipt for a known shopper: SKUs at the lowest recent price, as store credit."""
    customer = _customer(request, customer_id)
    data = request.POST if request.method == "POST" else {}
    chosen = forms.receiptless_rows_from(data)
    lines = list(chosen.values())
    key = _submission_key(request)
    if request.method == "POST":
        answer = _complete(request, key=key, lines=lines, customer=customer)
        if answer is not None:
            return answer
    items, verdict = selectors.preview_return(order=None, lines=lines, customer=customer, store=request.store)
    context = {
        "customer": customer,
        "rows": [
            {
                "index": row,
                "sku": data.get(f"sku_{row}", ""),
                "qty": data.get(f"qty_{row}") or 1,
                "chosen": chosen.get(row),
            }
            for row in range(forms.RECEIPTLESS_ROWS)
        ],
        "submission_key": key,
        "preview_url": reverse("returns_portal:receiptless-preview", kwargs={"customer_id": customer.pk}),
        **CHOICES,
        **_verdict_context(items, verdict, receiptless=True, known_shopper=True, data=data),
    }
    return render(request, "returns/receiptless.html", context, status=400 if request.method == "POST" else 200)


@require_POST
@portal_view
def receiptless_preview(request, customer_id: int):
    customer = _customer(request, customer_id)
    lines = forms.receiptless_lines_from(request.POST)
    items, verdict = selectors.preview_return(order=None, lines=lines, customer=customer, store=request.store)
    context = _verdict_context(items, verdict, receiptless=True, known_shopper=True, data=request.POST)
    return render(request, "returns/partials/verdicts.html", context)


@require_http_methods(["GET", "POST"])
@portal_view
def detail(request, rma_number: str):
    """A return started online (scanned QR or typed RMA): inspect, approve if needed, settle."""
    found = _return(rma_number)
    if found.status in ReturnRequest.DONE_STATUSES:
        return redirect("returns_portal:receipt", rma_number=found.rma_number)
    return_lines = list(found.lines.all())
    data = request.POST if request.method == "POST" else {}
    inspections, specs = forms.inspections_from(data, return_lines)
    if request.method == "POST" and found.is_open:
        settlement = forms.settlement_from(request.POST)
        try:
            done = services.complete_return(
                store=request.store,
                actor=request.user,
                refund_method=settlement.method,
                return_request=found,
                inspections=inspections,
                approval=settlement.approval,
                exchange=settlement.exchange,
            )
        except ReturnError as exc:
            # a double click: the other submission settled it meanwhile, and its receipt is the answer
            if ReturnRequest.objects.filter(pk=found.pk, status__in=ReturnRequest.DONE_STATUSES).exists():
                return redirect("returns_portal:receipt", rma_number=found.rma_number)
            _show_error(request, exc)
        else:
            return redirect("returns_portal:receipt", rma_number=done.rma_number)
    items, verdict = selectors.preview_return(
        order=found.order, lines=specs, customer=found.customer, return_request=found, method=found.method
    )
    context = {
        "ret": found,
        "rows": list(zip(return_lines, specs, strict=True)),
        "preview_url": reverse("returns_portal:detail-preview", kwargs={"rma_number": found.rma_number}),
        **CHOICES,
        **_verdict_context(
            items, verdict, receiptless=found.receiptless, known_shopper=found.customer_id is not None, data=data
        ),
    }
    return render(request, "returns/detail.html", context, status=400 if request.method == "POST" else 200)


@require_POST
@portal_view
def detail_preview(request, rma_number: str):
    found = _return(rma_number)
    _, specs = forms.inspections_from(request.POST, list(found.lines.all()))
    items, verdict = selectors.preview_return(
        order=found.order, lines=specs, customer=found.customer, return_request=found, method=found.method
    )
    return render(
        request,
        "returns/partials/verdicts.html",
        _verdict_context(
            items,
            verdict,
            receiptless=found.receiptless,
            known_shopper=found.customer_id is not None,
            data=request.POST,
        ),
    )


@require_POST
@portal_view
def reject(request, rma_number: str):
    found = _return(rma_number)
    try:
        services.reject_return(
            return_request=found, store=request.store, actor=request.user, reason=request.POST.get("reason", "")
        )
    except ReturnError as exc:
        _show_error(request, exc)
        return redirect("returns_portal:detail", rma_number=found.rma_number)
    messages.success(
        request, _("Return %(rma_number)s was rejected; the shopper is told why.") % {"rma_number": found.rma_number}
    )
    return redirect("returns_portal:desk")


@require_GET
@portal_view
def receipt(request, rma_number: str):
    """What the shopper is given: lines, deductions, where the money went, the exchange order."""
    found = _return(rma_number)
    return render(request, "returns/receipt.html", {"ret": found, "qr": qr_svg(found.qr_token)})


@require_POST
@portal_view
def release(request, rma_number: str, line_id: int):
    found = _return(rma_number)
    line = next((line for line in found.lines.all() if line.pk == line_id), None)
    if line is None:
        raise Http404("No such line.")
    try:
        services.release_inspection(
            line=line, store=request.store, actor=request.user, outcome=request.POST.get("outcome", "")
        )
    except ReturnError as exc:
        _show_error(request, exc)
    else:
        messages.success(request, _("%(sku)s released from inspection.") % {"sku": line.sku})
    return redirect("returns_portal:receipt", rma_number=found.rma_number)


@require_GET
@portal_view
def customer_returns(request, customer_id: int):
    """Clienteling panel (htmx fragment): this shopper's returns on every channel."""
    customer = _customer(request, customer_id)
    return render(
        request, "returns/partials/customer_returns.html", {"customer": customer, **returns_panel(request, customer)}
    )
