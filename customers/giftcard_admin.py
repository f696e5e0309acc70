"""Head office: gift cards (last four digits, balance, status) and their ledger, read-only; goodwill cards
are issued through `issue_gift_card` on their own page (the number is shown once, then only its last four)."""

import secrets

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.errors import CustomerError
from customers.models import Customer, GiftCard, GiftCardEntry
from customers.services.giftcards import issue_gift_card
from retail.admin import ReadOnlyAdmin
from retail.admin_money import money_columns
from retail.domain.money import format_money


class GoodwillForm(forms.Form):
    amount = forms.DecimalField(label=gettext_lazy("Amount"), min_value=0.01, max_digits=10, decimal_places=2)
    currency = forms.CharField(label=gettext_lazy("Currency"), max_length=3, min_length=3, initial=settings.CURRENCY)
    customer = forms.IntegerField(required=False, min_value=1, label=gettext_lazy("Customer"),
                                  help_text=gettext_lazy("Customer number, if the card is for one."))  # fmt: skip
    reason = forms.CharField(max_length=200, label=gettext_lazy("Reason"),
                             help_text=gettext_lazy("Why it is given (kept in the audit trail)."))  # fmt: skip
    send_to = forms.EmailField(
        required=False,
        label=gettext_lazy("Email the number to"),
        help_text=gettext_lazy("Empty: the customer's email, if a customer is given."),
    )
    # one reference per form shown: submitting the page twice issues one card
    reference = forms.CharField(max_length=40, widget=forms.HiddenInput)

    def clean_customer(self):
        pk = self.cleaned_data.get("customer")
        if pk is None:
            return None
        customer = Customer.objects.live().filter(pk=pk).first()
        if customer is None:
            raise forms.ValidationError(_("No live customer has that number."))
        return customer


@money_columns(GiftCardEntry, "amount", currency="card__currency")
class GiftCardEntryInline(admin.TabularInline):
    model = GiftCardEntry
    extra = 0
    can_delete = False
    fields = ["created_at", "kind", "shown_amount", "reference", "store", "actor"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("card", "store", "actor")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(GiftCard)
@money_columns(GiftCard, "balance")
class GiftCardAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "shown_balance", "status", "source", "customer", "issued_at", "expires_at"]
    list_filter = ["status", "source", "currency"]
    search_fields = ["=last4", "=customer__id", "=customer__email"]
    list_select_related = ["customer"]
    fields = ["last4", "shown_balance", "currency", "status", "source", "customer", "issued_by", "issued_at",
              "expires_at"]  # fmt: skip
    readonly_fields = fields
    inlines = [GiftCardEntryInline]
    date_hierarchy = "issued_at"
    show_full_result_count = False
    change_list_template = "admin/customers/giftcard_change_list.html"

    def has_goodwill_permission(self, request) -> bool:
        return request.user.has_perm("customers.add_giftcard")

    def get_urls(self):
        view = self.admin_site.admin_view(self.goodwill_view)
        return [path("goodwill/", view, name="customers_giftcard_goodwill"), *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        extra_context = dict(extra_context or {})
        if self.has_goodwill_permission(request):
            extra_context["goodwill_url"] = reverse("admin:customers_giftcard_goodwill")
        return super().changelist_view(request, extra_context)

    def goodwill_view(self, request):
        if not self.has_goodwill_permission(request):
            raise PermissionDenied
        form = GoodwillForm(request.POST or None, initial={"reference": f"GW-{secrets.token_hex(8)}"})
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            customer = data["customer"]
            send_to = data["send_to"] or (customer.email if customer else "")
            try:
                issued = issue_gift_card(
                    amount=data["amount"],
                    currency=data["currency"],
                    source=GiftCard.Source.GOODWILL,
                    reference=data["reference"],
                    customer=data["customer"],
                    actor=request.user,
                    reason=data["reason"],
                    send_to=send_to,
                    recipient_name=customer.first_name if customer else "",
                )
            except CustomerError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                number = " ".join(issued.code[i : i + 4] for i in range(0, len(issued.code), 4))
                issued_message = _(
                    "Goodwill gift card of %(amount)s issued: number %(number)s. Give it to the shopper now; only "
                    "its last four digits are kept."
                ) % {"amount": format_money(issued.card.balance, issued.card.currency), "number": number}
                if send_to:
                    issued_message += " " + _("It is also emailed to %(email)s.") % {"email": send_to}
                self.message_user(request, issued_message, messages.SUCCESS)
                return redirect("admin:customers_giftcard_changelist")
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "form": form,
                   "title": _("Issue a goodwill gift card")}  # fmt: skip
        return TemplateResponse(request, "admin/customers/giftcard_goodwill.html", context)


@admin.register(GiftCardEntry)
@money_columns(GiftCardEntry, "amount", currency="card__currency")
class GiftCardEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "card", "kind", "shown_amount", "reference", "store", "actor"]
    fields = readonly_fields = ["created_at", "card", "kind", "shown_amount", "reference", "store", "actor"]
    list_filter = ["kind"]
    search_fields = ["reference", "=card__last4"]
    list_select_related = ["card", "store", "actor"]
    date_hierarchy = "created_at"
    show_full_result_count = False
