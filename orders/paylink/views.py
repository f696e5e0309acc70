"""Pay-by-link: the page a shopper opens from the message an associate's order sent them.

With the built-in test provider this page is the provider's own (a test card token stands for
what a real provider's hosted page collects); a real provider hosts the card form and reports the
authorisation back, calling the same service. No login: the random token in the link is the key,
and the page shows only what the message already said (number, store, items, total).
"""

from django.http import Http404
from django.shortcuts import render
from django.utils import timezone, translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from customers.selectors import shopper_language
from orders.basket import payment_request_for_link
from orders.errors import OrderError
from orders.services.assisted import pay_by_link


def read_as_the_message(request, customer, store) -> None:
    """A link's page reads in the language of the message that carried it: the shopper's own, else the
    market's of the store it is about, whatever the browser asks for (Accept-Language) or whoever is
    signed in. The page has no language switch of its own; a link that opens nothing keeps the browser's."""
    language = shopper_language(customer, store)
    translation.activate(language)
    request.LANGUAGE_CODE = language


@never_cache
@require_http_methods(["GET", "POST"])
def pay_link(request, token: str):
    request_row = payment_request_for_link(token)
    if request_row is None:
        raise Http404("This payment link is not valid.")
    read_as_the_message(request, request_row.order.customer, request_row.order.store)
    context, status = {"pr": request_row, "order": request_row.order, "card": "tok_visa_4242"}, 200
    if request.method == "POST":
        context["card"] = request.POST.get("card", "")[:60]
        try:
            request_row = pay_by_link(token=token, card_token=context["card"])
            context["pr"] = request_row
        except OrderError as exc:
            context["error"], status = exc.message, exc.status
    context["expired"] = request_row.is_pending and request_row.expires_at <= timezone.now()
    context["lines"] = list(request_row.order.lines.all())
    return render(request, "orders/pay_link.html", context, status=status)
