"""Head office: orders read-mostly (every change goes through services), filters and CSV export."""

from django.contrib import admin
from django.contrib.contenttypes.admin import GenericTabularInline
from django.utils.translation import gettext_lazy as _

from orders.exports import ORDER_COLUMNS, order_rows
from orders.models import Cart, CartLine, Fulfillment, Notification, Order, OrderLine, Payment, StatusChange
from orders.portal.history import history_note
from retail.admin import streaming_csv_response
from retail.admin_money import money_columns, with_money_shown
from retail.replica import reporting, reporting_db
from retail.services import record_audit_event


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


LINE_MONEY = ["unit_price", "discount", "total", "net", "tax_amount"]


@money_columns(OrderLine, *LINE_MONEY, currency="order__currency")
class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    fields = with_money_shown(["line_number", "sku", "name", "quantity", "unit_price", "discount", "total", "net",
                               "tax_rate", "tax_amount", "picked_quantity", "cancelled_quantity", "fulfillment"],
                              LINE_MONEY)  # fmt: skip
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("order")


class FulfillmentInline(ReadOnlyInline):
    model = Fulfillment
    fields = ["kind", "location", "status", "proxy_name", "hold_until", "reminder_sent_at", "arrived_at",
              "collected_by_name", "verification", "handed_over_by", "promised_at", "carrier", "tracking_number",
              "closed_at"]  # fmt: skip
    readonly_fields = fields


@money_columns(Payment, "amount", "captured_amount", "refunded_amount", currency="order__currency")
class PaymentInline(ReadOnlyInline):
    model = Payment
    fields = [
        "method",
        "provider",
        "reference",
        "brand",
        "last4",
        "shown_amount",
        "shown_captured_amount",
        "shown_refunded_amount",
        "status",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("order")


class StatusChangeInline(ReadOnlyInline):
    model = StatusChange
    fields = ["occurred_at", "fulfillment", "from_status", "to_status", "actor_label", "said"]
    readonly_fields = fields

    @admin.display(description=_("note"))
    def said(self, obj) -> str:
        return history_note(obj.note)  # the services' notes in the reader's language, a person's as typed


ORDER_MONEY = ["subtotal", "discount_total", "tax_added", "total", "offer_discount", "points_discount",
               "shipping_total", "shipping_net", "shipping_tax"]  # fmt: skip


@admin.register(Order)
@money_columns(Order, *ORDER_MONEY)
class OrderAdmin(admin.ModelAdmin):
    """Read-mostly: orders change through the portal, the API and the POS (services), never by hand here."""

    list_display = ["number", "placed_at", "channel", "store", "status", "contact_name", "shown_total",
                    "receipt_number"]  # fmt: skip
    list_filter = ["channel", "status", ("store", admin.RelatedOnlyFieldListFilter), "placed_at"]
    date_hierarchy = "placed_at"
    search_fields = ["number", "receipt_number", "email", "phone", "contact_name", "=customer__id"]
    list_select_related = ["store"]
    fields = readonly_fields = with_money_shown([f.name for f in Order._meta.fields], ORDER_MONEY)
    inlines = [OrderLineInline, FulfillmentInline, PaymentInline, StatusChangeInline]
    actions = ["export_csv"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Export the selected orders as CSV"), permissions=["view"])
    def export_csv(self, request, queryset):
        record_audit_event(actor=request.user, action="orders.exported", object_type="orders.order",
                           details={"via": "admin"})  # fmt: skip
        with reporting(request.user):  # read from the replica when it is fresh enough (retail/replica.py)
            orders = Order.objects.using(reporting_db()).filter(pk__in=queryset.values("pk"))
        return streaming_csv_response(filename="orders.csv", header=ORDER_COLUMNS, rows=order_rows(orders),
                                      content_type="text/csv")  # fmt: skip


@money_columns(CartLine, "price_when_added", currency="cart__currency")
class CartLineInline(ReadOnlyInline):
    model = CartLine
    fields = ["variant", "quantity", "shown_price_when_added", "added_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("cart", "variant__product")


@admin.register(Cart)
class CartAdmin(admin.ModelAdmin):
    list_display = ["id", "customer", "status", "channel", "built_in_store", "updated_at"]
    list_filter = ["status", "channel"]
    list_select_related = ["customer", "built_in_store"]
    search_fields = ["=customer__id", "=customer__email", "=token"]
    readonly_fields = [f.name for f in Cart._meta.fields]
    inlines = [CartLineInline]
    raw_id_fields = ["customer"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class NotificationInline(GenericTabularInline):
    """What the shopper was told about an order or a return (returns' admin shows it too)."""

    model = Notification
    ct_field, ct_fk_field = "subject_type", "subject_id"
    extra = 0
    can_delete = False
    fields = ["created_at", "kind", "channel", "recipient", "status"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "reference", "kind", "channel", "status", "recipient"]
    list_filter = ["kind", "channel", "status", "subject_type"]
    search_fields = ["=reference", "recipient"]
    readonly_fields = [f.name for f in Notification._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


from orders import shipping_admin  # noqa: E402, F401  (carriers and shipping methods register themselves)
