"""Stock screens of the staff portal: lookup, transfers, cycle counts. Thin: parse, call, render."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from inventory import counts, selectors, services
from inventory.errors import InventoryCode, InventoryError
from inventory.models import StockCount, Transfer
from retail.approvals import ApprovalCredentials
from retail.errors import RetailError
from retail.messages import say
from retail.portal.access import portal_view


def _int(value, default=None):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


@portal_view
def lookup(request):
    """Scan or type a SKU, barcode or name: this store first, then the nearest stores of its market with
    stock (`markets=all`: other markets' too, each named)."""
    other_markets = request.GET.get("markets") == "all"
    result = selectors.stock_lookup(
        query=request.GET.get("q", "")[:100], store=request.store, other_markets=other_markets
    )
    context = {"result": result, "query": result.query}
    if request.htmx:
        return render(request, "inventory/partials/lookup_results.html", context)
    return render(request, "inventory/lookup.html", context)


@portal_view
def transfers(request):
    store = request.store
    context = {
        "incoming": selectors.incoming_transfers(store=store),
        "to_ship": Transfer.objects.filter(from_location=store, status=Transfer.Status.REQUESTED)
        .select_related("to_location")
        .order_by("requested_at", "pk"),
        "requested": Transfer.objects.filter(to_location=store, status=Transfer.Status.REQUESTED)
        .select_related("from_location")
        .order_by("requested_at", "pk"),
    }
    return render(request, "inventory/transfers.html", context)


@require_POST
@portal_view
def transfer_request(request):
    """Ask another location to send units of one SKU here (from the lookup's nearby list)."""
    try:
        quantity = _int(request.POST.get("quantity"), 0)
        transfer = services.request_transfer(
            from_location=request.POST.get("from", ""),
            to_location=request.store,
            lines=[(request.POST.get("sku", ""), quantity)],
            actor=request.user,
            note=say("inventory.requested_from_lookup"),
        )
    except InventoryError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("%(reference)s requested from %(code)s.")
            % {"reference": transfer.reference, "code": transfer.from_location.code},
        )
    return redirect("inventory_portal:transfers")


@require_POST
@portal_view
def transfer_ship(request, pk):
    transfer = Transfer.objects.filter(pk=pk, from_location=request.store).first()
    if transfer is None:
        raise Http404(_("No such transfer from this store."))
    try:
        services.ship_transfer(transfer=transfer, actor=request.user)
    except InventoryError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("%(reference)s shipped to %(code)s.")
            % {"reference": transfer.reference, "code": transfer.to_location.code},
        )
    return redirect("inventory_portal:transfers")


@portal_view
def transfer_receive(request, pk):
    """Check what arrived, line by line; differences to what was shipped are recorded."""
    transfer = selectors.get_incoming_transfer(store=request.store, transfer_id=pk)
    if transfer is None:
        raise Http404(_("No shipped transfer to this store with that number."))
    lines = list(transfer.lines.all())
    error = None
    if request.method == "POST":
        received = {}
        for line in lines:
            value = _int(request.POST.get(f"line-{line.pk}"))
            if value is None or value < 0:
                error = _("Give the units of %(sku)s that arrived (0 or more).") % {"sku": line.variant.sku}
                break
            received[line.variant.sku] = value
        if error is None:
            try:
                services.receive_transfer(transfer=transfer, received=received, actor=request.user)
            except InventoryError as exc:
                error = exc.message
            else:
                messages.success(
                    request,
                    _("%(reference)s received into %(code)s.")
                    % {"reference": transfer.reference, "code": request.store.code},
                )
                return redirect("inventory_portal:transfers")
    return render(request, "inventory/transfer_receive.html", {"transfer": transfer, "lines": lines, "error": error})


@portal_view
def count_list(request):
    recent = (
        StockCount.objects.filter(location=request.store)
        .select_related("started_by")
        .order_by("-started_at", "-pk")[:20]
    )
    awaiting = counts.counts_awaiting_approval(store=request.store)
    return render(request, "inventory/counts.html", {"counts": recent, "awaiting": awaiting})


@require_POST
@portal_view
def count_start(request):
    count = services.start_stock_count(
        location=request.store, actor=request.user, note=request.POST.get("note", "")[:200]
    )
    return redirect("inventory_portal:count", pk=count.pk)


def _count_for(request, pk) -> StockCount:
    count = (
        StockCount.objects.select_related("location__market", "submitted_by", "decided_by")
        .filter(pk=pk, location=request.store)
        .first()
    )
    if count is None:
        raise Http404(_("No such count in this store."))
    return count


def _sheet(request, count, error=None, status=200, approval_error=None):
    context = {
        "count": count,
        "lines": count.lines.select_related("variant__product").order_by("-pk"),
        "error": error,
    }
    if request.htmx and not approval_error:
        return render(request, "inventory/partials/count_sheet.html", context, status=status)
    if count.status != StockCount.Status.OPEN:
        context["review"] = counts.review_stock_count(count=count)
        context["approval_error"] = approval_error
    return render(request, "inventory/count.html", context, status=status)


@portal_view
def count_sheet(request, pk):
    return _sheet(request, _count_for(request, pk))


@require_POST
@portal_view
def count_scan(request, pk):
    """Each scan of a barcode (or typed SKU) adds one unit; a quantity field adds several."""
    count = _count_for(request, pk)
    try:
        services.add_count_scan(
            count=count,
            code=request.POST.get("code", "")[:40],
            quantity=_int(request.POST.get("quantity") or 1, 0),
            actor=request.user,
        )
    except InventoryError as exc:
        return _sheet(request, count, error=exc.message, status=200 if request.htmx else 400)
    if request.htmx:
        return _sheet(request, count)
    return redirect("inventory_portal:count", pk=count.pk)


@require_POST
@portal_view
def count_set(request, pk):
    """Correct a line (e.g. scanned twice by mistake) to the typed figure."""
    count = _count_for(request, pk)
    try:
        services.set_count_quantity(
            count=count, variant=request.POST.get("sku", ""), quantity=_int(request.POST.get("quantity"), -1)
        )
    except InventoryError as exc:
        return _sheet(request, count, error=exc.message, status=200 if request.htmx else 400)
    if request.htmx:
        return _sheet(request, count)
    return redirect("inventory_portal:count", pk=count.pk)


def _credentials(data) -> ApprovalCredentials | None:
    """The manager's email and PIN (or password and authenticator code) typed on this screen."""
    email = (data.get("manager_email") or "").strip()[:254]
    if not email:
        return None
    return ApprovalCredentials(
        email=email,
        pin=(data.get("manager_pin") or "").strip()[:12],
        password=(data.get("manager_password") or "")[:200],
        code=(data.get("manager_code") or "").strip()[:12],
    )


def _review_page(request, count, *, error=None, approval_error=None, status=200):
    context = {
        "count": count,
        "review": counts.review_stock_count(count=count),
        "error": error,
        "approval_error": approval_error,
        "manager_email": (request.POST.get("manager_email") or "").strip()[:254],
    }
    return render(request, "inventory/count_review.html", context, status=status)


@portal_view
def count_review(request, pk):
    """Expected vs counted per line, the difference in units and value, and the confirm button."""
    count = _count_for(request, pk)
    if count.status != StockCount.Status.OPEN:
        return redirect("inventory_portal:count", pk=count.pk)
    if not count.lines.exists():
        messages.error(request, _("Scan or type at least one SKU before reviewing the count."))
        return redirect("inventory_portal:count", pk=count.pk)
    return _review_page(request, count)


@require_POST
@portal_view
def count_post(request, pk):
    """Confirm the reviewed count: it posts, posts with the manager's PIN, or waits for a manager."""
    count = _count_for(request, pk)
    reviewed = (request.POST.get("reviewed") or "")[:64]
    if not reviewed:  # an old form or a one-click post: show the review first
        return redirect("inventory_portal:count-review", pk=count.pk)
    approval = None if request.POST.get("send") == "later" else _credentials(request.POST)
    try:
        outcome = counts.submit_stock_count(count=count, actor=request.user, reviewed=reviewed, approval=approval)
    except RetailError as exc:  # the manager's approval was refused or is locked
        return _review_page(request, count, approval_error=exc.message, status=exc.code.status)
    except InventoryError as exc:
        if exc.code == InventoryCode.COUNT_CHANGED:
            return _review_page(request, count, error=exc.message, status=409)
        messages.error(request, exc.message)
        return redirect("inventory_portal:count", pk=count.pk)
    if not outcome.posted:
        messages.warning(
            request, _("Count #%(pk)s is waiting for a manager's approval; nothing was posted yet.") % {"pk": count.pk}
        )
        return redirect("inventory_portal:count", pk=count.pk)
    review = outcome.review
    messages.success(
        request,
        (
            _("Count #%(pk)s posted: %(movements)s correction(s), net %(net_units)s unit(s), approved by %(manager)s.")
            if outcome.count.decided_by_id
            else _("Count #%(pk)s posted: %(movements)s correction(s), net %(net_units)s unit(s).")
        )
        % {
            "pk": count.pk,
            "movements": len(outcome.movements),
            "net_units": format(review.net_units, "+d"),
            "manager": outcome.count.decided_by.get_full_name() if outcome.count.decided_by_id else "",
        },
    )
    return redirect("inventory_portal:counts")


@require_POST
@portal_view
def count_decide(request, pk):
    """A manager approves or rejects a waiting count with their PIN (on any signed-in screen)."""
    count = _count_for(request, pk)
    approval = _credentials(request.POST)
    note = (request.POST.get("note") or "").strip()[:300]
    decision = request.POST.get("decision")
    if decision not in ("approve", "reject"):
        return _sheet(request, count, approval_error=_("Choose to approve or to reject the count."), status=400)
    if approval is None:
        return _sheet(request, count, approval_error=_("Type the manager's email and PIN."), status=400)
    try:
        if decision == "reject":
            counts.reject_stock_count(count=count, approval=approval, reason=note, actor=request.user)
            messages.info(request, _("Count #%(pk)s rejected; nothing was posted.") % {"pk": count.pk})
        else:
            outcome = counts.approve_stock_count(count=count, approval=approval, actor=request.user, note=note)
            messages.success(
                request,
                _("Count #%(pk)s approved and posted: %(movements)s correction(s), net %(net_units)s unit(s).")
                % {
                    "pk": count.pk,
                    "movements": len(outcome.movements),
                    "net_units": format(outcome.review.net_units, "+d"),
                },
            )
    except RetailError as exc:
        return _sheet(request, count, approval_error=exc.message, status=exc.code.status)
    except InventoryError as exc:
        if exc.code == InventoryCode.COUNT_CLOSED:
            messages.error(request, exc.message)
            return redirect("inventory_portal:count", pk=count.pk)
        return _sheet(request, count, approval_error=exc.message, status=exc.code.status)
    return redirect("inventory_portal:counts")


@require_POST
@portal_view
def count_cancel(request, pk):
    count = _count_for(request, pk)
    try:
        services.cancel_stock_count(count=count, actor=request.user)
    except InventoryError as exc:
        messages.error(request, exc.message)
    else:
        messages.info(request, _("Count #%(pk)s cancelled; nothing was posted.") % {"pk": count.pk})
    return redirect("inventory_portal:counts")
