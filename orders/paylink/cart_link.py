"""The link a shopper is sent with a saved cart (issue 18.2): the app opens it itself (universal link,
then POST /api/v1/me/cart/open-sent/); in a browser this page shows what was sent and, signed in as
that shopper, loads it into their cart through the same service. No login needed to look: the page
shows only what the message said (the store and the items)."""

from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from orders.basket import saved_cart_for_link
from orders.errors import OrderError
from orders.paylink.views import read_as_the_message
from orders.services.saved_carts import open_sent_cart
from retail.domain.channel import Channel


@never_cache
@require_http_methods(["GET", "POST"])
def saved_cart_link(request, token: str):
    saved, lines = saved_cart_for_link(token)
    context, status = {"saved": saved, "lines": lines}, 200 if saved is not None else 404
    if saved is None:
        context["error"] = _("This link does not open a saved cart. Check it was copied whole.")
    else:
        read_as_the_message(request, saved.customer, saved.store)
    if saved is not None and request.method == "POST":
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        try:
            _cart, saved, context["unavailable"] = open_sent_cart(token=token, user=request.user, channel=Channel.WEB)
            context["opened"] = True
        except OrderError as exc:
            context["error"], status = exc.message, exc.status
    return render(request, "orders/saved_cart_link.html", context, status=status)
