"""Staff portal: the store's pick-up queue, pick lists with the scanner, the counter hand-over,
order search and detail, receipts, and the clienteling screen's orders / pick-ups / cart panels.

Thin: read through selectors, write through services, render. Domain errors become a message
(full page) or an inline error (htmx fragment), never a 500.
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from customers.portal.access import customer_for_request
from inventory.selectors import variants_for_codes
from orders import selectors, services
from orders.counter import looks_like_code, record_wrong_code, typed_codes_blocked
from orders.errors import OrderCode, OrderError
from orders.models import Carrier, Fulfillment, Order, OrderLine
from orders.portal.history import history_rows
from orders.portal.panels import cart_panel, orders_panel, pickups_panel
from retail.domain.codes import read_code
from retail.portal.access import portal_view

TAB_LABELS = {
    "to_pick": gettext_lazy("To pick"),
    "picking": gettext_lazy("Picking"),
    "ready": gettext_lazy("Ready"),
    "overdue": gettext_lazy("Overdue"),
    "expired": gettext_lazy("Expired"),
    "to_ship": gettext_lazy("To ship"),
}


def _customer(request, customer_id: int):
    return customer_for_request(request, customer_id)


# --------------------------------------------------------------------------- queue and picking


@require_GET
@portal_view
def pickup_queue(request):
    tab = request.GET.get("tab", "to_pick")
    if tab not in TAB_LABELS:
        tab = "to_pick"
    try:
        page = max(1, int(request.GET.get("page") or 1))
    except ValueError:
        page = 1
    counts = selectors.queue_counts(store=request.store)
    pages = max(1, -(-counts[tab] // selectors.QUEUE_PAGE))
    page = min(page, pages)
    # shoppers waiting outside come first on every tab, whatever their order's status (no query when none)
    arrivals = selectors.curbside_arrivals(store=request.store) if counts["arrived"] else []
    context = {
        "tab": tab,
        "tabs": [(key, label, counts[key]) for key, label in TAB_LABELS.items()],
        "counts": counts,
        "arrivals": _queue_rows(arrivals, zone=request.store.zone),
        "rows": _queue_rows(selectors.pickup_queue(store=request.store, tab=tab, page=page), zone=request.store.zone),
        "page": page,
        "pages": pages,
    }
    template = "orders/partials/queue_live.html" if request.htmx and request.GET.get("partial") else "orders/queue.html"
    return render(request, template, context)


STATUS_BADGE = {"placed": "badge-warn", "picking": "badge-info", "ready": "badge-ok", "expired": "badge-bad"}


FULFILLMENT_STATUSES = dict(Fulfillment.Status.choices)


def _queue_rows(fulfillments: list[dict], *, zone) -> list[dict]:
    """Rows for the queue table, formatted once from the selector's plain rows: a busy store's page renders fast.
    Times are on the store's clock (`zone`)."""
    detail = reverse("orders_portal:detail", args=["NUMBER"])
    pick = reverse("orders_portal:pick", args=[0])[:-2]
    counter = reverse("orders_portal:counter")
    now = timezone.now()
    channels = dict(Order.Channel.choices)  # once per page: the kernel's set, a channel added as data too
    rows = []
    for f in fulfillments:
        number, status = f["order__number"], f["status"]
        held = status in ("ready", "expired")
        url = detail.replace("NUMBER", number)
        if status in ("placed", "picking"):
            action = (f"{pick}{f['pk']}/", _("Pick") if status == "placed" else _("Continue"), "")
        elif status == "ready":
            action = (f"{counter}?q={number}", _("Hand over"), "")
        else:
            action = (url, _("View"), " btn-secondary")
        when = (f["hold_until"] if held else f["created_at"]).astimezone(zone)
        ago = _("%(duration)s ago") % {"duration": _duration(now - f["created_at"])}
        arrived = f["arrived_at"] and status in Fulfillment.OPEN_STATUSES
        promised = f.get("promised_at") if status in ("placed", "picking") else None
        rows.append({
            "number": number, "url": url, "channel": channels.get(f["order__channel"], f["order__channel"]),
            "curbside": f["kind"] == Fulfillment.Kind.CURBSIDE, "shopper": f["order__contact_name"] or "—",
            "proxy": f["proxy_name"],
            "arrived": f["arrived_at"].astimezone(zone).strftime("%H:%M") if arrived else "",
            "arrived_iso": f["arrived_at"].isoformat() if arrived else "",
            "waiting": _duration(now - f["arrived_at"]) if arrived else "",
            "waiting_minutes": int((now - f["arrived_at"]).total_seconds() // 60) if arrived else 0,
            "arrival_note": f["arrival_note"], "units": f["units"], "status": FULFILLMENT_STATUSES.get(status, status),
            "badge": STATUS_BADGE.get(status, "badge-info"), "overdue": f["overdue"],
            "when_iso": when.isoformat(), "when": date_format(when, "D j M, H:i"),
            "ago": "" if held else ago,
            "promised": date_format(promised.astimezone(zone), "D H:i") if promised else "",
            "promised_iso": promised.isoformat() if promised else "",
            "late": bool(promised and promised < now),
            "action_url": action[0], "action_label": action[1], "action_class": action[2],
        })  # fmt: skip
    return rows


def _duration(delta) -> str:
    """How long an order has waited, or a shopper outside: "4 min", "1 h 05 min"."""
    minutes = max(0, int(delta.total_seconds() // 60))
    if minutes >= 60:
        return _("%(hours)s h %(minutes)s min") % {"hours": minutes // 60, "minutes": f"{minutes % 60:02d}"}
    return _("%(minutes)s min") % {"minutes": minutes}


def _pick_context(request, fulfillment_id: int, **extra) -> dict:
    try:
        fulfillment = selectors.pick_list(store=request.store, fulfillment_id=fulfillment_id)
    except OrderError:
        raise Http404("No such pick-up in this store.") from None
    # a parcel may leave with another carrier than its shipping method's (the tracking link follows it)
    carriers = list(Carrier.objects.filter(is_active=True)) if fulfillment.kind == Fulfillment.Kind.SHIP else []
    return {
        "f": fulfillment,
        "order": fulfillment.order,
        "lines": list(fulfillment.lines.all()),
        "carriers": carriers,
        **extra,
    }


@require_GET
@portal_view
def pick_list(request, fulfillment_id: int):
    return render(request, "orders/pick.html", _pick_context(request, fulfillment_id))


@require_POST
@portal_view
def pick_scan(request, fulfillment_id: int):
    code = request.POST.get("code", "")
    context = {}
    try:
        f = selectors.pick_list(store=request.store, fulfillment_id=fulfillment_id)
        line = services.scan_pick(fulfillment=f, code=code, actor=request.user, store=request.store)
        context["scan_ok"] = _("%(sku)s: %(picked)s of %(wanted)s picked") % {
            "sku": line.sku,
            "picked": line.picked_quantity,
            "wanted": line.open_quantity,
        }
    except OrderError as exc:
        if exc.code == "not_found":
            raise Http404(exc.message) from None
        context["scan_error"] = exc.message
    if request.htmx:
        return render(request, "orders/partials/pick_sheet.html", _pick_context(request, fulfillment_id, **context))
    _flash(request, context)
    return redirect("orders_portal:pick", fulfillment_id=fulfillment_id)


def _flash(request, context):
    if context.get("scan_error"):
        messages.error(request, context["scan_error"])
    elif context.get("scan_ok"):
        messages.success(request, context["scan_ok"])


@require_POST
@portal_view
def pick_action(request, fulfillment_id: int, action: str):
    """start / ready / short (with line, missing, resolution)."""
    try:
        f = selectors.pick_list(store=request.store, fulfillment_id=fulfillment_id)
        if action == "start":
            services.start_picking(fulfillment=f, actor=request.user, store=request.store)
            messages.success(request, _("Picking %(number)s. Scan each item.") % {"number": f.order.number})
        elif action == "ready":
            services.mark_ready(fulfillment=f, actor=request.user, store=request.store)
            messages.success(
                request,
                _("%(number)s is ready; the shopper has been sent the pick-up code.") % {"number": f.order.number},
            )
            return redirect(f"{reverse('orders_portal:pickup-queue')}?tab=ready")
        elif action == "ship":
            chosen = request.POST.get("carrier", "")
            carrier = Carrier.objects.filter(pk=int(chosen)).first() if chosen.isdigit() and len(chosen) < 10 else None
            services.ship_fulfillment(fulfillment=f, actor=request.user, store=request.store, carrier=carrier,
                                      tracking_number=request.POST.get("tracking", ""))  # fmt: skip
            messages.success(request, _("%(number)s shipped; the shopper has been told.") % {"number": f.order.number})
            return redirect(f"{reverse('orders_portal:pickup-queue')}?tab=to_ship")
        elif action == "short":
            line = OrderLine.objects.filter(pk=int(request.POST.get("line") or 0), fulfillment=f).first()
            if line is None:
                raise OrderError(_("Choose the line that is short."), code=OrderCode.INVALID_LINE)
            missing = int(request.POST.get("missing") or 0)
            services.short_pick(line=line, missing=missing, resolution=request.POST.get("resolution", ""),
                                actor=request.user, store=request.store)  # fmt: skip
            messages.success(request, _("Short pick of %(sku)s recorded.") % {"sku": line.sku})
        else:
            raise Http404("Unknown action.")
    except OrderError as exc:
        if exc.code == "not_found":
            raise Http404(exc.message) from None
        messages.error(request, exc.message)
    except ValueError:
        messages.error(request, _("Give the number of missing units as a whole number."))
    return redirect("orders_portal:pick", fulfillment_id=fulfillment_id)


# --------------------------------------------------------------------------- counter


@require_http_methods(["GET", "POST"])
@portal_view
def counter(request):
    """Scan the shopper's QR, or type the pick-up code or order number; then hand over."""
    query = (request.POST.get("q") or request.GET.get("q") or "").strip()
    context, status = {"query": query}, 200
    if query and looks_like_code(query) and typed_codes_blocked(store=request.store, user=request.user):
        context["error"] = _(
            "Too many wrong pick-up codes at this counter. Scan the shopper's QR code, "
            "or search by order number and check a photo ID."
        )
        status = 200 if request.htmx else 429  # htmx swaps only 2xx answers into the page
    elif query:
        try:
            f, how = selectors.find_for_counter(store=request.store, text=query)
            context.update(f=f, how=how, order=f.order, lines=list(f.lines.all()))
        except OrderError as exc:
            context["error"] = exc.message
            if looks_like_code(query):
                record_wrong_code(store=request.store, user=request.user)
    template = "orders/partials/counter_result.html" if request.htmx else "orders/counter.html"
    return render(request, template, context, status=status)


@require_POST
@portal_view
def hand_over(request, fulfillment_id: int):
    f = Fulfillment.objects.filter(pk=fulfillment_id, location=request.store).select_related("order").first()
    if f is None:
        raise Http404("No such pick-up in this store.")
    # "shopper" (proven by the code, or the photo ID matches the order's name), "proxy" (the person
    # the shopper named), or "id_name" (the name on the photo ID, typed when the order names nobody)
    choice = request.POST.get("collected_by", "shopper")
    name = {"shopper": "", "proxy": f.proxy_name, "id_name": request.POST.get("id_name", "")}.get(choice, choice)
    try:
        services.hand_over_pickup(
            fulfillment=f,
            actor=request.user,
            store=request.store,
            verification=request.POST.get("verification", ""),
            collected_by_name=name[:160],
            id_checked=request.POST.get("id_checked") == "on",
            proof=request.POST.get("proof", ""),
        )
    except OrderError as exc:
        if exc.status == 429:  # typed codes are locked: the QR or order number + photo ID still work
            return render(request, "orders/counter.html", {"query": "", "error": exc.message}, status=429)
        messages.error(request, exc.message)
        return redirect(f"{reverse('orders_portal:counter')}?q={f.order.number}")
    messages.success(request, _("%(number)s handed over. The receipt has been emailed.") % {"number": f.order.number})
    return redirect("orders_portal:receipt", number=f.order.number)


# --------------------------------------------------------------------------- orders


@require_GET
@portal_view
def order_search(request):
    query = request.GET.get("q", "").strip()
    orders = selectors.search_orders(user=request.user, query=query, store=request.store)
    return render(request, "orders/search.html", {"query": query, "orders": orders})


def _order(request, number: str):
    try:
        return selectors.order_for_staff(request.user, number)
    except OrderError:
        raise Http404("No such order in your stores.") from None


@require_GET
@portal_view
def order_detail(request, number: str):
    order = _order(request, number)
    # The pick-up code and QR are the shopper's proof at the counter: staff never see them here.
    context = {"order": order, "fulfillments": list(order.fulfillments.all()), "history": history_rows(order)}
    return render(request, "orders/detail.html", context)


@require_POST
@portal_view
def order_cancel(request, number: str):
    order = _order(request, number)
    try:
        services.cancel_order(order=order, actor=request.user, reason=request.POST.get("reason", "")[:200])
        messages.success(
            request, _("%(number)s cancelled; stock released and the payment hold voided.") % {"number": order.number}
        )
    except OrderError as exc:
        messages.error(request, exc.message)
    return redirect("orders_portal:detail", number=order.number)


@require_GET
@portal_view
def receipt(request, number: str):
    order = _order(request, number)
    context = {"order": order, "tax_rates": selectors.tax_breakdown(order), "before_tax": order.total - order.tax_added}
    return render(request, "orders/receipt.html", context)


# --------------------------------------------------------------------------- clienteling panels


@require_GET
@portal_view
def customer_orders(request, customer_id: int):
    customer = _customer(request, customer_id)
    return render(
        request, "orders/partials/customer_orders.html", {"customer": customer, **orders_panel(request, customer)}
    )


@require_GET
@portal_view
def customer_pickups(request, customer_id: int):
    customer = _customer(request, customer_id)
    return render(
        request, "orders/partials/customer_pickups.html", {"customer": customer, **pickups_panel(request, customer)}
    )


@require_http_methods(["GET", "POST"])
@portal_view
def customer_cart(request, customer_id: int):
    """The shopper's current online cart, and the associate's "send to their account" form."""
    customer = _customer(request, customer_id)
    context = {"customer": customer}
    if request.method == "POST":
        typed = request.POST.get("sku", "")
        found = variants_for_codes([typed]).get(typed)  # a SKU in any case, or the barcode scanned
        sku = found.sku if found is not None else read_code(typed).sku
        try:
            quantity = int(request.POST.get("quantity") or 1)
            services.send_cart_to_customer(customer=customer, lines=[(sku, quantity)], associate=request.user,
                                           store=request.store)  # fmt: skip
            what = f"{found.product.display_name} ({sku})" if found is not None else sku
            if customer.first_name:
                sent = _("%(quantity)s x %(item)s is now in %(name)s's online cart.")
            else:
                sent = _("%(quantity)s x %(item)s is now in the shopper's online cart.")
            context["sent"] = sent % {"quantity": quantity, "item": what, "name": customer.first_name}
        except OrderError as exc:
            context["error"] = exc.message
        except ValueError:
            context["error"] = _("Quantity must be a whole number.")
    context.update(cart_panel(request, customer))
    if not request.htmx:
        if context.get("error"):
            messages.error(request, context["error"])
        elif context.get("sent"):
            messages.success(request, context["sent"])
        if request.method == "POST":
            return redirect(reverse("customers_portal:detail", kwargs={"customer_id": customer.pk}) + "#panel-cart")
    return render(request, "orders/partials/customer_cart.html", context)
