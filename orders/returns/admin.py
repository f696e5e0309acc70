"""Head office: the return policy (merchandisers edit it) and returns, read-mostly with their lines."""

from django.contrib import admin, messages

from orders.returns.errors import ReturnError
from orders.returns.models import ReturnLine, ReturnNotification, ReturnPolicy, ReturnRequest
from orders.returns.services import cancel_return
from orders.returns.services.policy_admin import save_return_policy


@admin.register(ReturnPolicy)
class ReturnPolicyAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "is_active",
        "window_web_days",
        "window_app_days",
        "window_store_days",
        "restocking_fee_percent",
        "receiptless_max_returns",
        "approval_over",
        "updated_at",
    ]
    list_filter = ["is_active"]
    search_fields = ["name"]
    fieldsets = [
        (None, {"fields": ["name", "is_active"]}),
        (
            "Return windows by channel (a category's or a style's own window in the catalog wins)",
            {
                "fields": [
                    ("window_app_days", "window_web_days", "window_store_days"),
                    ("window_phone_days", "window_kiosk_days"),
                    "fault_window_days",
                ]
            },
        ),
        ("Fees", {"fields": ["restocking_fee_percent", "mail_return_fee", "offer_minimum_spend"]}),
        (
            "Without a receipt",
            {
                "fields": [
                    "receiptless_period_days",
                    ("receiptless_max_returns", "receiptless_max_amount"),
                    "receiptless_price_days",
                ]
            },
        ),
        ("Manager approval", {"fields": ["approval_over"]}),
    ]

    def save_model(self, request, obj, form, change):
        save_return_policy(policy=obj, actor=request.user, changed=list(form.changed_data))


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
        "amount",
        "fee",
        "verdict",
        "explanation",
    ]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ReturnNotificationInline(admin.TabularInline):
    model = ReturnNotification
    extra = 0
    can_delete = False
    fields = ["created_at", "kind", "channel", "recipient", "status"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ReturnRequest)
class ReturnRequestAdmin(admin.ModelAdmin):
    list_display = [
        "rma_number",
        "status",
        "order",
        "customer",
        "channel",
        "method",
        "store",
        "refund_total",
        "refund_method",
        "approval_required",
        "created_at",
    ]
    list_filter = ["status", "method", "channel", "receiptless", "refund_method", "approval_required", "store"]
    search_fields = ["rma_number", "order__number", "receipt_number", "customer__email", "customer__last_name"]
    date_hierarchy = "created_at"
    list_select_related = ["order", "customer", "store"]
    inlines = [ReturnLineInline, ReturnNotificationInline]
    actions = ["cancel_requested"]
    readonly_fields = [
        f.name for f in ReturnRequest._meta.get_fields() if getattr(f, "concrete", False) and f.name not in ("id",)
    ]
    raw_id_fields = ["order", "customer", "exchange_order"]

    def has_add_permission(self, request):
        return False  # returns are started by shoppers, the desk and tills, through the services

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Cancel the selected requested returns", permissions=["change"])
    def cancel_requested(self, request, queryset):
        done = 0
        for found in queryset.filter(status=ReturnRequest.Status.REQUESTED):
            try:
                cancel_return(request=found, actor=request.user)
                done += 1
            except ReturnError as exc:
                self.message_user(request, f"{found}: {exc.message}", messages.WARNING)
        self.message_user(request, f"{done} return(s) cancelled.")
