"""Head office: the return policy (merchandisers edit it) and returns, read-mostly with their lines."""

from django.contrib import admin, messages
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from orders.admin import NotificationInline
from orders.returns.errors import ReturnError
from orders.returns.models import ReturnLine, ReturnPolicy, ReturnRequest, ReturnWindow
from orders.returns.services import cancel_return
from orders.returns.services.policy_admin import save_return_policy, save_return_windows
from retail.admin_money import money_columns, with_money_shown
from retail.domain.channel import Channel
from retail.domain.money import format_money


class ReturnWindowInline(admin.TabularInline):
    """The policy's windows, a row per channel; a blank row for each channel that has none yet."""

    model = ReturnWindow
    fields = ["channel", "days"]
    verbose_name = _("return window")
    verbose_name_plural = _(
        "Return windows by channel (a category's or a style's own window in the catalog wins; "
        "a channel without a window needs a manager's approval)"
    )

    def get_extra(self, request, obj=None, **kwargs):
        return len(channels_without_window(obj))


AMOUNTS = ["mail_return_fee", "offer_minimum_spend", "receiptless_max_amount", "approval_over"]


def channels_without_window(policy: ReturnPolicy | None) -> list[str]:
    have = set(policy.windows.values_list("channel", flat=True)) if policy is not None and policy.pk else set()
    return [channel for channel in Channel.values if channel not in have]


@admin.register(ReturnPolicy)
class ReturnPolicyAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "market",
        "is_active",
        "windows",
        "restocking_fee_percent",
        "receiptless_max_returns",
        "approval_limit",
        "updated_at",
    ]
    list_filter = ["market", "is_active"]
    list_select_related = ["market"]
    search_fields = ["name", "market__name", "market__code"]
    inlines = [ReturnWindowInline]
    fieldsets = [
        (
            None,
            {
                "fields": ["name", "market", "is_active"],
                "description": _(
                    "The policy judges returns of what its market sold, wherever they come back; its amounts are in "
                    "the market's currency. A market without an active policy uses the home market's."
                ),
            },
        ),
        (_("Faults"), {"fields": ["fault_window_days"]}),
        (_("Fees"), {"fields": ["restocking_fee_percent", "mail_return_fee", "offer_minimum_spend"]}),
        (_("Shipping"), {"fields": ["shipping_refund"]}),
        (
            _("Without a receipt"),
            {
                "fields": [
                    "receiptless_period_days",
                    ("receiptless_max_returns", "receiptless_max_amount"),
                    "receiptless_price_days",
                ]
            },
        ),
        (_("Manager approval"), {"fields": ["approval_over"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("windows")

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is not None:  # its amounts are in its market's currency (a new policy's: the market chosen)
            for name in AMOUNTS:
                field = form.base_fields.get(name)  # absent where the user only reads the policy
                if field is None:
                    continue
                field.help_text = gettext("%(help)s In %(currency)s (%(market)s).") % {
                    "help": field.help_text,
                    "currency": obj.market.currency,
                    "market": obj.market.name,
                }
        return form

    @admin.display(description=_("manager approval over"), ordering="approval_over")
    def approval_limit(self, obj: ReturnPolicy) -> str:
        return format_money(obj.approval_over, obj.market.currency)

    @admin.display(description=_("windows (days)"))
    def windows(self, obj: ReturnPolicy) -> str:
        return " · ".join(f"{row.get_channel_display()} {row.days}" for row in obj.windows.all()) or gettext("none")

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if isinstance(inline, ReturnWindowInline):  # the same on the POST: unchanged blank rows are skipped
            kwargs["initial"] = [{"channel": channel} for channel in channels_without_window(obj)]
        return kwargs

    def save_model(self, request, obj, form, change):
        save_return_policy(policy=obj, actor=request.user, changed=list(form.changed_data))

    def save_related(self, request, form, formsets, change):
        # The windows go through the service (audited, all at once), not the inline's own save.
        for formset in formsets:
            if formset.model is ReturnWindow:
                windows = {
                    f.cleaned_data["channel"]: f.cleaned_data["days"]
                    for f in formset.forms
                    if f.cleaned_data and not f.cleaned_data.get("DELETE")
                }
                save_return_windows(policy=form.instance, windows=windows, actor=request.user)
                # the admin's history entry reads these; the audit event holds the windows before/after
                formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
            else:
                self.save_formset(request, form, formset, change)
        form.save_m2m()


@money_columns(ReturnLine, "amount", "tax_amount", "fee", currency="request__currency")
class ReturnLineInline(admin.TabularInline):
    model = ReturnLine
    extra = 0
    can_delete = False
    fields = [
        "sku",
        "name",
        "quantity",
        "reason",
        "condition",
        "disposition",
        "shown_amount",
        "shown_tax_amount",
        "shown_fee",
        "verdict",
        "said",
    ]
    readonly_fields = fields

    @admin.display(description=_("explanation"))
    def said(self, obj) -> str:
        return obj.worded_explanation  # in the reader's language (ReturnLine.explanations)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("request")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


RETURN_MONEY = ["goods_total", "fees_total", "clawback_total", "shipping_refund", "shipping_tax", "refund_total",
                "refunded_to_tenders", "refunded_to_credit", "exchange_charged"]  # fmt: skip


@admin.register(ReturnRequest)
@money_columns(ReturnRequest, *RETURN_MONEY)
class ReturnRequestAdmin(admin.ModelAdmin):
    list_display = [
        "rma_number",
        "status",
        "order",
        "customer",
        "channel",
        "method",
        "store",
        "shown_refund_total",
        "refund_method",
        "approval_required",
        "created_at",
    ]
    list_filter = ["status", "method", "channel", "receiptless", "refund_method", "approval_required", "store"]
    search_fields = ["rma_number", "order__number", "receipt_number", "customer__email", "customer__last_name"]
    date_hierarchy = "created_at"
    list_select_related = ["order", "customer", "store"]
    inlines = [ReturnLineInline, NotificationInline]
    actions = ["cancel_requested"]
    # the summary in the reader's language (`summaries`, by language) rather than as judged
    fields = readonly_fields = with_money_shown(
        [
            "said_summary" if f.name == "summary" else f.name
            for f in ReturnRequest._meta.get_fields()
            if getattr(f, "concrete", False) and f.name not in ("id", "summaries")
        ],
        RETURN_MONEY,
    )
    raw_id_fields = ["order", "customer", "exchange_order"]

    def has_add_permission(self, request):
        return False  # returns are started by shoppers, the desk and tills, through the services

    @admin.display(description=_("summary"))
    def said_summary(self, obj) -> str:
        return " ".join(obj.worded_summary)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Cancel the selected requested returns"), permissions=["change"])
    def cancel_requested(self, request, queryset):
        done = 0
        for found in queryset.filter(status=ReturnRequest.Status.REQUESTED):
            try:
                cancel_return(return_request=found, actor=request.user)
                done += 1
            except ReturnError as exc:
                self.message_user(request, f"{found}: {exc.message}", messages.WARNING)
        self.message_user(
            request, ngettext("%(count)s return cancelled.", "%(count)s returns cancelled.", done) % {"count": done}
        )
