"""The counter's gift card balance check: the associate types or scans the number the shopper hands over.

The number travels in the POST body (never the address, so it stays out of logs and history) and is
checked by the same service as the API, counting wrong numbers per associate: past
GIFT_CARD_LOOKUP_LIMIT misses the associate is refused for a while, as any API caller is.
"""

from django import forms
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from customers.errors import CustomerError
from customers.services.giftcards import check_gift_card_balance
from retail.portal.access import portal_view


class BalanceForm(forms.Form):
    code = forms.CharField(
        max_length=40,
        label=_("Gift card number"),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autofocus": True, "inputmode": "numeric", "spellcheck": "false"}
        ),
    )


@require_http_methods(["GET", "POST"])
@portal_view
def balance(request):
    form = BalanceForm(request.POST or None)
    card = None
    if request.method == "POST" and form.is_valid():
        try:
            card = check_gift_card_balance(code=form.cleaned_data["code"], caller=(f"user:{request.user.pk}",))
        except CustomerError as exc:
            form.add_error("code", exc.message)
    context = {"form": BalanceForm() if card else form, "card": card}
    if request.htmx:  # htmx swaps only 2xx answers (a 4xx left the page as it was, or blank in DEBUG)
        return render(request, "customers/partials/giftcard_balance.html", context)
    return render(request, "customers/giftcards.html", context, status=200 if card or request.method == "GET" else 400)
