"""Stock screens of the staff portal: lookup, transfers, cycle counts. Thin: parse, call, render."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from inventory import selectors, services
from inventory.errors import InventoryError
from inventory.models import StockCount, Transfer
from retail.portal.access import portal_view


def _int(value, default=None):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


@portal_view
def lookup(request):
    """Scan or type a SKU, barcode or name: this store first, then the nearest stores with stock."""
    result = selectors.stock_lookup(query=request.GET.get("q", "")[:100], store=request.store)
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
            note="requested from the stock lookup",
        )
    except InventoryError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{transfer.reference} requested from {transfer.from_location.code}.")
    return redirect("inventory_portal:transfers")


@require_POST
@portal_view
def transfer_ship(request, pk):
    transfer = Transfer.objects.filter(pk=pk, from_location=request.store).first()
    if transfer is None:
        raise Http404("No such transfer from this store.")
    try:
        services.ship_transfer(transfer=transfer, actor=request.user)
    except InventoryError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{transfer.reference} shipped to {transfer.to_location.code}.")
    return redirect("inventory_portal:transfers")


@portal_view
def transfer_receive(request, pk):
    """Check what arrived, line by line; differences to what was shipped are recorded."""
    transfer = selectors.get_incoming_transfer(store=request.store, transfer_id=pk)
    if transfer is None:
        raise Http404("No shipped transfer to this store with that number.")
    lines = list(transfer.lines.all())
    error = None
    if request.method == "POST":
        received = {}
        for line in lines:
            value = _int(request.POST.get(f"line-{line.pk}"))
            if value is None or value < 0:
                error = f"Give the units of {line.variant.sku} that arrived (0 or more)."
                break
            received[line.variant.sku] = value
        if error is None:
            try:
                services.receive_transfer(transfer=transfer, received=received, actor=request.user)
            except InventoryError as exc:
                error = exc.message
            else:
                messages.success(request, f"{transfer.reference} received into {request.store.code}.")
                return redirect("inventory_portal:transfers")
    return render(request, "inventory/transfer_receive.html", {"transfer": transfer, "lines": lines, "error": error})


@portal_view
def counts(request):
    recent = (
        StockCount.objects.filter(location=request.store)
        .select_related("started_by")
        .order_by("-started_at", "-pk")[:20]
    )
    return render(request, "inventory/counts.html", {"counts": recent})


@require_POST
@portal_view
def count_start(request):
    count = services.start_stock_count(
        location=request.store, actor=request.user, note=request.POST.get("note", "")[:200]
    )
    return redirect("inventory_portal:count", pk=count.pk)


def _count_for(request, pk) -> StockCount:
    count = StockCount.objects.filter(pk=pk, location=request.store).first()
    if count is None:
        raise Http404("No such count in this store.")
    return count


def _sheet(request, count, error=None, status=200):
    context = {
        "count": count,
        "lines": count.lines.select_related("variant__product").order_by("-pk"),
        "error": error,
    }
    template = "inventory/partials/count_sheet.html" if request.htmx else "inventory/count.html"
    return render(request, template, context, status=status)


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


@require_POST
@portal_view
def count_post(request, pk):
    count = _count_for(request, pk)
    try:
        movements = services.post_stock_count(count=count, actor=request.user)
    except InventoryError as exc:
        messages.error(request, exc.message)
        return redirect("inventory_portal:count", pk=count.pk)
    net = sum(m.quantity for m in movements)
    messages.success(request, f"Count #{count.pk} posted: {len(movements)} correction(s), net {net:+d} unit(s).")
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
        messages.info(request, f"Count #{count.pk} cancelled; nothing was posted.")
    return redirect("inventory_portal:counts")
