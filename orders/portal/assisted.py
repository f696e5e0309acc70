"""Assisted orders in the portal (endless aisle): the associate builds a basket for the shopper in
front of them (or on the phone), sees stock here and nearby, and places it to ship home, collect
at another store or reserve here, paid at the till or by a pay-by-link.

The basket lives in the associate's session, per shopper (what they are putting together is
theirs until placed); the form carries a placement key, so a double submit finds the first order.
Thin: reads through orders.basket, writes through orders.services.assisted.
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from customers.portal.access import customer_for_request
from inventory.selectors import stock_lookup
from orders.basket import (
    basket_lines,
    find_variant,
    last_shipping_address,
    pickup_stores,
    price_in_market,
    saved_carts_of,
    shipping_choices,
)
from orders.errors import OrderError
from orders.models import PaymentRequest
from orders.portal.forms import AssistedOrderForm, new_placement_key
from orders.services.assisted import AssistedBasket, Deliver, place_assisted_order
from orders.services.carts import MAX_CART_LINES, MAX_LINE_QUANTITY
from retail.domain.channel import Channel
from retail.domain.money import format_money
from retail.portal.access import portal_view

SESSION = "assisted_baskets"


def session_basket(request, customer_id: int) -> dict:
    """{"lines": [[sku, qty], ...], "key": placement key, "saved": the saved cart it was reopened from
    (if it was)} of this associate for this shopper."""
    baskets = request.session.get(SESSION) or {}
    basket = baskets.get(str(customer_id))
    if basket is None:
        basket = {"lines": [], "key": new_placement_key()}
    return basket


def keep_basket(request, customer_id: int, basket: dict | None) -> None:
    baskets = dict(request.session.get(SESSION) or {})
    if basket is None:
        baskets.pop(str(customer_id), None)
    else:
        baskets[str(customer_id)] = basket
    request.session[SESSION] = baskets


def _lines(request, basket: dict):
    return basket_lines([(s, q) for s, q in basket["lines"]], store=request.store)


def _context(request, customer, basket: dict, *, lines=None, **extra) -> dict:
    lines = _lines(request, basket) if lines is None else lines
    return {
        "customer": customer,
        "lines": lines,
        "subtotal": sum((line.total for line in lines), 0),
        "units": sum(line.quantity for line in lines),
        "currency": request.store.market.currency,  # the store's market: what the basket is priced in
        "key": basket["key"],
        **extra,
    }


def _form(request, customer, basket: dict, data=None, *, lines) -> AssistedOrderForm:
    stores = pickup_stores(near=request.store)
    shipping = shipping_choices(lines, store=request.store)
    if data is not None:
        return AssistedOrderForm(data, stores=stores, shipping=shipping)
    address = last_shipping_address(customer)
    channel = Channel.PHONE if request.GET.get("channel") == Channel.PHONE else Channel.STORE
    initial = {
        "key": basket["key"],
        "channel": channel,
        "payment": PaymentRequest.Method.LINK if channel == Channel.PHONE else PaymentRequest.Method.TILL,
        **{k: address.get(k, "") for k in ("line1", "line2", "city", "postcode")},
    }
    return AssistedOrderForm(initial=initial, stores=stores, shipping=shipping)


def _shipping_context(form: AssistedOrderForm) -> dict:
    """What partials/assisted_shipping.html shows: the methods, the ticked one, the field's errors."""
    errors = form.errors.get("shipping_method", []) if form.is_bound else []
    return {"shipping_options": form.shipping, "shipping_selected": form.selected_shipping, "shipping_errors": errors}


def _page(request, customer, basket, form, *, lines, status=200, **extra):
    if not hasattr(customer, "header_tags"):  # a placement read the bare row; its error page shows the header
        customer = customer_for_request(request, customer.pk, header=True)
    account = getattr(customer, "loyalty_account", None)
    context = _context(request, customer, basket, lines=lines, form=form,
                       points_balance=account.balance if account else 0, saved_carts=saved_carts_of(customer),
                       **_shipping_context(form), **extra)  # fmt: skip
    return render(request, "orders/assisted.html", context, status=status)


@require_GET
@portal_view
def assisted_order(request, customer_id: int):
    customer = customer_for_request(request, customer_id, header=True)
    basket = session_basket(request, customer_id)
    lines = _lines(request, basket)
    return _page(request, customer, basket, _form(request, customer, basket, lines=lines), lines=lines)


@require_GET
@portal_view
def shipping_methods(request, customer_id: int):
    """htmx, when the basket changed: its shipping methods priced again, the ticked one kept if it still ships."""
    customer = customer_for_request(request, customer_id)
    basket = session_basket(request, customer_id)
    lines = _lines(request, basket)
    form = AssistedOrderForm(shipping=shipping_choices(lines, store=request.store))
    ticked = request.GET.get("shipping_method", "")
    kept = next((o.method.pk for o in form.shipping if str(o.method.pk) == ticked), form.selected_shipping)
    context = {"customer": customer, "lines": lines, "currency": request.store.market.currency,
               **_shipping_context(form), "shipping_selected": kept}  # fmt: skip
    return render(request, "orders/partials/assisted_shipping.html", context)


def _basket_answer(
    request, customer, basket: dict, *, error: str = "", notice: str = "", results=None, changed: bool = False
):
    """htmx: the basket (and the search results) again; a plain form post: back to the page."""
    if request.htmx:
        context = _context(request, customer, basket, error=error, notice=notice, results=results)
        response = render(request, "orders/partials/assisted_basket.html", context, status=200)
        if changed:  # the shipping methods' prices follow the basket (partials/assisted_shipping.html)
            response["HX-Trigger"] = "basket-changed"
        return response
    if error:
        messages.error(request, error)
    elif notice:
        messages.success(request, notice)
    return redirect("orders_portal:assisted", customer_id=customer.pk)


@require_POST
@portal_view
def basket_add(request, customer_id: int):
    """Scan or type: a SKU or barcode goes in the basket at once; words search the catalog."""
    customer = customer_for_request(request, customer_id)
    basket = session_basket(request, customer_id)
    code = request.POST.get("code", "").strip()[:100]
    if not code:
        return _basket_answer(request, customer, basket, error=_("Scan a barcode, or type a SKU or part of a name."))
    variant = find_variant(code)
    if variant is None:
        results = stock_lookup(query=code, store=request.store, nearby=2, max_variants=12)
        price_in_market(results.variants, market=request.store.market)  # the catalog's price is the home market's
        error = (
            ""
            if results.variants
            else _("Unknown SKU or barcode “%(code)s”, and no product name matches it.") % {"code": code}
        )
        return _basket_answer(request, customer, basket, error=error, results=results if results.variants else None)
    if not (variant.is_active and variant.product.is_active):
        return _basket_answer(request, customer, basket, error=_("%(sku)s is no longer sold.") % {"sku": variant.sku})
    (line,) = basket_lines([(variant.sku, 1)], store=request.store)
    if line.nowhere:
        return _basket_answer(
            request,
            customer,
            basket,
            error=_(
                "No stock of %(name)s (%(sku)s) anywhere: it cannot be sold now. "
                "Add it to the shopper's wishlist to tell them when it is back."
            )
            % {"name": variant.product.name, "sku": variant.sku},
        )
    lines = dict(basket["lines"])
    if variant.sku not in lines and len(lines) >= MAX_CART_LINES:
        return _basket_answer(
            request, customer, basket, error=_("A basket holds at most %(count)s items.") % {"count": MAX_CART_LINES}
        )
    lines[variant.sku] = min(lines.get(variant.sku, 0) + 1, MAX_LINE_QUANTITY)
    basket["lines"] = [[s, q] for s, q in lines.items()]
    keep_basket(request, customer_id, basket)
    names = {"name": variant.product.name, "sku": variant.sku}
    notice = (
        _("Added %(name)s (%(sku)s), in stock in this store.") % names
        if line.here
        else _("Added %(name)s (%(sku)s), in stock at %(store)s.") % {**names, "store": line.nearby[0]["location_name"]}
    )
    return _basket_answer(request, customer, basket, notice=notice, changed=True)


@require_POST
@portal_view
def basket_set(request, customer_id: int):
    """Change a line's quantity; 0 takes it out."""
    customer = customer_for_request(request, customer_id)
    basket = session_basket(request, customer_id)
    sku = request.POST.get("sku", "")
    try:
        quantity = int(request.POST.get("quantity", ""))
    except ValueError:
        return _basket_answer(request, customer, basket, error=_("Quantities are whole numbers."))
    if not 0 <= quantity <= MAX_LINE_QUANTITY:
        return _basket_answer(
            request, customer, basket, error=_("Quantities go from 0 to %(most)s.") % {"most": MAX_LINE_QUANTITY}
        )
    basket["lines"] = [[s, quantity if s == sku else q] for s, q in basket["lines"] if s != sku or quantity]
    keep_basket(request, customer_id, basket)
    return _basket_answer(request, customer, basket, changed=True)


@require_http_methods(["POST"])
@portal_view
def place(request, customer_id: int):
    customer = customer_for_request(request, customer_id)
    basket = session_basket(request, customer_id)
    lines = _lines(request, basket)
    form = _form(request, customer, basket, data=request.POST, lines=lines)
    if not form.is_valid():
        return _page(request, customer, basket, form, lines=lines, status=400)
    data = form.cleaned_data
    try:
        order, created = place_assisted_order(
            customer=customer,
            store=request.store,
            actor=request.user,
            basket=AssistedBasket(
                lines=[(s, q) for s, q in basket["lines"]],
                deliver=data["deliver"],
                pickup_store=form.pickup if data["deliver"] == Deliver.PICKUP else None,
                shipping_address=form.address,
            ),
            payment=data["payment"],
            placement_key=data["key"],
            channel=data["channel"],
            offer_code=data.get("offer_code") or "",
            points=data.get("points") or 0,
            shipping_method=data.get("shipping_method") if data["deliver"] == Deliver.SHIP else None,
        )
    except OrderError as exc:
        if exc.code == "empty_cart":
            exc.message = _("The basket is empty: scan or search an item first.")
        form.add_domain_error(exc)
        return _page(request, customer, basket, form, lines=lines, status=400)
    keep_basket(request, customer_id, None)  # placed: the next basket starts empty, with a new key
    if created:
        placed = (
            _("Order %(number)s placed; the shopper pays %(total)s at the till with order number %(number)s.")
            if data["payment"] == PaymentRequest.Method.TILL
            else _("Order %(number)s placed; a pay-by-link was sent to the shopper.")
        )
        messages.success(request, placed % {"number": order.number, "total": format_money(order.total, order.currency)})
    else:
        messages.info(request, _("Order %(number)s was already placed from this basket.") % {"number": order.number})
    return redirect(reverse("orders_portal:detail", args=[order.number]))
