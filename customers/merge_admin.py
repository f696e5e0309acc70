"""Head office merges two profiles of one person from the customers list: both side by side,
which one is kept, what the kept one ends with, then a confirmed merge through `merge_customers`
(audited there as customer.merged, undoable from the merges list)."""

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext, gettext_lazy

from customers.errors import CustomerError
from customers.selectors import merge_comparison
from customers.services import merge_customers
from customers.services.merge import check_mergeable


class MergeConfirmForm(forms.Form):
    reason = forms.CharField(
        max_length=200,
        help_text=gettext_lazy("Why these are one person (kept with the merge, e.g. 'same card, shopper confirmed')."),
    )


def default_kept(pair):
    """The older profile, unless only the newer one has the app/web account the shopper signs in with."""
    older, newer = pair
    return (newer, older) if newer.user_id and not older.user_id else (older, newer)


class MergeTwoAction:
    """ModelAdmin mixin: the "Merge two profiles" action and its confirmation page."""

    @admin.action(
        description=gettext_lazy("Merge two profiles of one person … (side by side, then confirm)"),
        permissions=["change"],
    )
    def merge_two(self, request, queryset):
        pair = list(queryset.order_by("created_at", "pk")[:3])
        if len(pair) != 2:
            self.message_user(request, gettext("Select exactly two profiles of the same person."), messages.ERROR)
            return None
        kept, other = default_kept(pair)
        chosen = request.POST.get("keep")
        if chosen in {str(pair[0].pk), str(pair[1].pk)} and chosen != str(kept.pk):
            kept, other = other, kept
        applying = "apply" in request.POST
        form = MergeConfirmForm(request.POST if applying else None)
        problem = None
        try:
            check_mergeable(source=other, target=kept)
        except CustomerError as exc:
            problem = exc.message
        if applying and form.is_valid() and problem is None:
            try:
                reason = form.cleaned_data["reason"]
                merge = merge_customers(source=other, target=kept, actor=request.user, reason=reason)
            except CustomerError as exc:
                problem = exc.message
            else:
                self.message_user(
                    request,
                    format_html(
                        gettext(
                            '#{} merged into <a href="{}">#{} {}</a>. '
                            'Merge #{} can be undone in <a href="{}">merges</a>.'
                        ),
                        other.pk,
                        reverse("admin:customers_customer_change", args=[kept.pk]),
                        kept.pk,
                        kept,
                        merge.pk,
                        reverse("admin:customers_customermerge_changelist"),
                    ),
                    messages.SUCCESS,
                )
                return None
        return TemplateResponse(
            request,
            "admin/customers/merge_confirm.html",
            {
                **self.admin_site.each_context(request),
                "title": gettext("Merge two profiles"),
                "opts": self.model._meta,
                "pair": pair,
                "comparison": merge_comparison(kept=kept, other=other),
                "form": form,
                "problem": problem,
            },
        )
