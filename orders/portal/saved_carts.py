"""Saved carts on the assisted-order screen (issue 18.2): keep the basket on the shopper's profile,
send it to them, or take a saved one up again. Thin: reads through orders.basket (the reopen lookup
checks the store in its query), writes through orders.services.saved_carts."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from customers.portal.access import customer_for_request
from orders.basket import saved_cart_for_staff
from orders.errors import OrderError
from orders.portal.assisted import keep_basket, session_basket
from orders.portal.forms import new_placement_key
from orders.services.saved_carts import reopen_saved_cart, save_cart_for_customer, send_saved_cart
from retail.portal.access import portal_view


def _back(customer_id: int):
    return redirect("orders_portal:assisted", customer_id=customer_id)


@require_POST
@portal_view
def save_basket(request, customer_id: int):
    """Save the basket on the profile ("save"), or save it and send it to the shopper ("send")."""
    customer = customer_for_request(request, customer_id)
    basket = session_basket(request, customer_id)
    send = request.POST.get("action") == "send"
    reopened = None
    if basket.get("saved"):  # taken up from a saved cart: saved over it
        reopened = saved_cart_for_staff(request.user, store=request.store, customer_id=customer_id,
                                        saved_cart_id=basket["saved"])  # fmt: skip
    try:
        saved = save_cart_for_customer(customer=customer, store=request.store, actor=request.user,
                                       lines=[(s, q) for s, q in basket["lines"]],
                                       note=request.POST.get("note", "")[:200], send=send,
                                       reopened=reopened)  # fmt: skip
    except OrderError as exc:
        messages.error(request, exc.message)
        return _back(customer_id)
    keep_basket(request, customer_id, None)  # kept on the profile now: the next basket starts empty
    who = customer.first_name or "the shopper"
    if send:
        messages.success(
            request,
            _("Sent %(units)s item(s) to %(who)s: the message's link opens them in their cart.")
            % {"units": saved.units, "who": who},
        )
    else:
        messages.success(
            request,
            _("Saved %(units)s item(s) on %(who)s's profile; any associate can reopen them.")
            % {"units": saved.units, "who": who},
        )
    return _back(customer_id)


def _saved(request, customer_id: int, saved_cart_id: int):
    saved = saved_cart_for_staff(request.user, store=request.store, customer_id=customer_id,
                                 saved_cart_id=saved_cart_id)  # fmt: skip
    if saved is None:
        raise Http404("No such saved cart for this shopper.")
    return saved


@require_POST
@portal_view
def reopen(request, customer_id: int, saved_cart_id: int):
    """The saved cart becomes this associate's basket for the shopper (what was in it is replaced)."""
    customer_for_request(request, customer_id)
    saved = _saved(request, customer_id, saved_cart_id)
    try:
        lines = reopen_saved_cart(saved_cart=saved, actor=request.user, store=request.store)
    except OrderError as exc:
        messages.error(request, exc.message)
        return _back(customer_id)
    replaced = bool(session_basket(request, customer_id)["lines"])
    basket = {"lines": [[s, q] for s, q in lines], "key": new_placement_key(), "saved": saved.pk}
    keep_basket(request, customer_id, basket)
    messages.success(
        request,
        (
            _("Reopened the cart saved on %(day)s (it replaced the basket).")
            if replaced
            else _("Reopened the cart saved on %(day)s.")
        )
        % {"day": date_format(timezone.localtime(saved.created_at), "j M")},
    )
    return _back(customer_id)


@require_POST
@portal_view
def send(request, customer_id: int, saved_cart_id: int):
    customer = customer_for_request(request, customer_id)
    saved = _saved(request, customer_id, saved_cart_id)
    try:
        send_saved_cart(saved_cart=saved, actor=request.user, store=request.store)
        messages.success(
            request,
            _("Sent to %(value)s; an earlier link no longer opens it.")
            % {"value": customer.first_name or "the shopper"},
        )
    except OrderError as exc:
        messages.error(request, exc.message)
    return _back(customer_id)
