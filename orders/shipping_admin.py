"""Head office's shipping (issue 19.4): carriers and each market's shipping methods with their bands.
Every save goes through orders.services.shipping (validated, audited); deletions are audited one at a time."""

from django.contrib import admin
from django.contrib.admin.options import ActionLocation
from django.utils.translation import gettext_lazy as _

from orders.models import Carrier, ShippingBand, ShippingMethod
from orders.services.shipping import save_carrier, save_shipping_bands, save_shipping_method
from retail.admin_money import money_columns
from retail.services import record_audit_event


class OneAtATime:
    def get_actions(self, request, action_location=ActionLocation.CHANGE_LIST):
        actions = super().get_actions(request, action_location=action_location)
        actions.pop("delete_selected", None)  # one at a time, audited
        return actions


@admin.register(Carrier)
class CarrierAdmin(OneAtATime, admin.ModelAdmin):
    list_display = ["code", "name", "tracking_url", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "name"]

    def save_model(self, request, obj, form, change):
        save_carrier(carrier=obj, actor=request.user, changed=list(form.changed_data))

    def delete_model(self, request, obj):
        record_audit_event(actor=request.user, action="carrier.deleted", obj=obj, details={"code": obj.code})
        super().delete_model(request, obj)


class ShippingBandInline(admin.TabularInline):
    model = ShippingBand
    extra = 1
    fields = ["up_to", "price"]
    verbose_name_plural = _("bands (by weight: grams; by order value: money; the empty limit takes the rest)")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("method__market")  # each band's name has its price


@admin.register(ShippingMethod)
@money_columns(ShippingMethod, "price", "free_over", currency="market__currency")
class ShippingMethodAdmin(OneAtATime, admin.ModelAdmin):
    list_display = ["name", "code", "market", "carrier", "basis", "shown_price", "shown_free_over", "position",
                    "is_active"]  # fmt: skip
    list_filter = ["market", "basis", "carrier", "is_active"]
    list_select_related = ["market", "carrier"]
    search_fields = ["code", "name", "market__code", "carrier__name"]
    autocomplete_fields = ["carrier"]
    inlines = [ShippingBandInline]
    fieldsets = [
        (None, {"fields": ["market", "code", "name", "carrier", "position", "is_active"]}),
        (_("Price"), {"fields": ["basis", "price", "free_over", "tax_class"]}),
        (_("Where and how fast"), {"fields": ["countries", "min_days", "max_days"]}),
    ]

    def save_model(self, request, obj, form, change):
        save_shipping_method(method=obj, actor=request.user, changed=list(form.changed_data))

    def save_formset(self, request, form, formset, change):
        if formset.model is not ShippingBand:
            return super().save_formset(request, form, formset, change)
        bands = formset.save(commit=False)
        if not (bands or formset.deleted_objects):
            return None
        save_shipping_bands(method=form.instance, bands=bands, deleted=formset.deleted_objects, actor=request.user)
        return None

    def delete_model(self, request, obj):
        details = {"market": obj.market.code, "code": obj.code}
        record_audit_event(actor=request.user, action="shipping_method.deleted", obj=obj, details=details)
        super().delete_model(request, obj)
