"""Head office's prices in the admin: the bulk price change (preview with was/now, endings, now or
scheduled), the scheduled changes, and the read-only ledger of every price change."""

from django import forms
from django.contrib import admin, messages
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from inventory import market_prices, price_import, pricing
from inventory.errors import InventoryError
from inventory.models import PriceChange, PriceList, PriceSchedule, PriceScheduleLine, VariantPrice
from retail.admin import CsvImportMixin, CsvUploadForm, ReadOnlyAdmin, streaming_csv_response
from retail.admin_money import money_columns
from retail.domain.money import format_money

PREVIEW_ROWS = 200
LOCAL_MINUTE = "%Y-%m-%dT%H:%M"


class PriceChangeForm(forms.Form):
    price_list = forms.ModelChoiceField(
        queryset=PriceList.objects.all(),
        required=False,
        empty_label=None,
        label=_("Price list"),
        help_text=_("The default list changes the catalog's prices; a market's list changes its prices in force now."),
    )
    percent = forms.DecimalField(
        max_digits=6,
        decimal_places=2,
        min_value=-90,
        max_value=500,
        label=_("Change by (%)"),
        help_text=_("e.g. 10 raises prices by 10%, -25 cuts them by a quarter. Variants' own prices change too."),
    )
    ending = forms.ChoiceField(
        choices=PriceSchedule.Ending.choices,
        required=False,
        widget=forms.RadioSelect,
        initial="",
        label=_("Price ending"),
        help_text=_("To the nearest price with that ending: 36.00 → 35.99, 27.50 → 27.99 or 28.00."),
    )
    reason = forms.CharField(
        max_length=200,
        label=_("Reason"),
        help_text=_("Kept in the price ledger, e.g. 'Spring sale' or 'Supplier +4%'."),
    )
    when = forms.ChoiceField(
        choices=[("now", _("Now")), ("schedule", _("On a schedule (the change begins and ends by itself)"))],
        widget=forms.RadioSelect,
        initial="now",
        label=_("When"),
    )
    name = forms.CharField(
        max_length=120, required=False, label=_("Name"), help_text=_("Scheduled changes: how head office calls it.")
    )
    starts_at = forms.DateTimeField(
        required=False,
        input_formats=[LOCAL_MINUTE],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_MINUTE),
        label=_("Starts"),
    )
    ends_at = forms.DateTimeField(
        required=False,
        input_formats=[LOCAL_MINUTE],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_MINUTE),
        label=_("Ends"),
        help_text=_("Empty: the new prices stay. At the end the prices it replaced come back."),
    )
    fingerprint = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        if data.get("when") == "schedule":
            if not data.get("name"):
                self.add_error("name", gettext("Name the scheduled change."))
            if not data.get("starts_at"):
                self.add_error("starts_at", gettext("Say when it starts."))
            elif data.get("ends_at") and data["ends_at"] <= data["starts_at"]:
                self.add_error("ends_at", gettext("The end must be after the start."))
            elif (data.get("ends_at") or data["starts_at"]) <= timezone.now():
                self.add_error("starts_at", gettext("That period is over already."))
        return data


class BulkPriceChangeAction:
    """ProductAdmin mixin: "Change prices …": a form, then a preview of every price (was / now),
    then applied now or scheduled. What is applied is what the preview showed (its fingerprint)."""

    @admin.action(description=_("Change prices … (preview, now or scheduled)"), permissions=["change"])
    def change_prices(self, request, queryset):
        step = "apply" if "apply" in request.POST else "preview" if "preview" in request.POST else "form"
        form = PriceChangeForm(request.POST if step != "form" else None)
        plan, error = None, None
        if step != "form" and form.is_valid():
            data = form.cleaned_data
            chosen = {"percent": data["percent"], "ending": data["ending"], "price_list": data.get("price_list")}
            try:
                plan = pricing.plan_price_change(products=queryset, **chosen)
                if step == "apply":
                    return self._apply_price_change(request, queryset, data)
            except InventoryError as exc:
                error = exc.message
                if exc.code == "prices_moved":
                    plan = pricing.plan_price_change(products=queryset, **chosen)
        if plan is not None:
            form.data = form.data.copy()
            form.data["fingerprint"] = pricing.fingerprint(plan)
        return TemplateResponse(
            request,
            "inventory/admin/change_prices.html",
            {
                **self.admin_site.each_context(request),
                "title": gettext("Change prices"),
                "form": form,
                "error": error,
                "plan": plan[:PREVIEW_ROWS] if plan is not None else None,
                "plan_count": len(plan) if plan is not None else 0,
                "plan_products": len({p.product.pk for p in plan}) if plan else 0,
                "products": queryset.order_by("name")[:20],
                "currency": (form.cleaned_data.get("price_list") if form.is_bound and form.is_valid() else None)
                and form.cleaned_data["price_list"].currency,
                "count": queryset.count(),
                "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
                "opts": self.model._meta,
            },
        )

    def _apply_price_change(self, request, queryset, data):
        common = {
            "products": queryset,
            "percent": data["percent"],
            "ending": data["ending"],
            "reason": data["reason"],
            "actor": request.user,
            "expected": data["fingerprint"] or None,
            "price_list": data.get("price_list"),
        }
        if data["when"] == "schedule":
            schedule = pricing.schedule_price_change(
                **common, name=data["name"], starts_at=data["starts_at"], ends_at=data["ends_at"]
            )
            count = schedule.lines.count()
            starts = date_format(timezone.localtime(schedule.starts_at), "DATETIME_FORMAT")
            if schedule.ends_at:
                ends = date_format(timezone.localtime(schedule.ends_at), "DATETIME_FORMAT")
                text = ngettext(
                    '<a href="{}">{}</a>: {} price changes on {} and goes back on {}.',
                    '<a href="{}">{}</a>: {} prices change on {} and go back on {}.',
                    count,
                )
                times = (starts, ends)
            else:
                text = ngettext(
                    '<a href="{}">{}</a>: {} price changes on {}.',
                    '<a href="{}">{}</a>: {} prices change on {}.',
                    count,
                )
                times = (starts,)
            link = reverse("admin:inventory_priceschedule_change", args=[schedule.pk])
            self.message_user(request, format_html(text, link, schedule.name, count, *times), messages.SUCCESS)
            return None
        result = pricing.change_prices(**common)
        self.message_user(
            request,
            format_html(
                ngettext(
                    "Changed {} price of {} product(s) by {}%. <a href='{}'>Price ledger</a>",
                    "Changed {} prices of {} product(s) by {}%. <a href='{}'>Price ledger</a>",
                    result.prices,
                ),
                result.prices,
                result.products,
                data["percent"],
                reverse("admin:inventory_pricechange_changelist"),
            ),
            messages.SUCCESS,
        )
        return None


@admin.register(PriceChange)
class PriceChangeAdmin(ReadOnlyAdmin):
    """The ledger of prices: every change, by whom, when, why and how. Nobody edits it."""

    list_display = ["created_at", "style", "price_of", "change", "source", "said", "actor"]
    exclude = ["reason"]  # shown as `said`: the system's reason in the reader's language, or the words typed
    readonly_fields = ["said"]
    list_filter = ["source", "price_list", "schedule"]
    list_select_related = ["product", "variant", "actor", "price_list"]
    search_fields = ["=product__style_code", "=variant__sku", "product__name", "reason"]
    date_hierarchy = "created_at"
    show_full_result_count = False

    @admin.display(description=_("reason"))
    def said(self, obj) -> str:
        return obj.said

    @admin.display(description=_("style"), ordering="product__style_code")
    def style(self, obj):
        return obj.product.style_code

    @admin.display(description=_("price of"))
    def price_of(self, obj):
        return obj.variant.sku if obj.variant_id else gettext("base price")

    @admin.display(description=_("was → now"))
    def change(self, obj):
        def shown(price):
            return format_money(price, obj.price_list.currency) if price is not None else gettext("base price")

        return f"{shown(obj.old_price)} → {shown(obj.new_price)}"


@money_columns(PriceScheduleLine, "was", "price", "replaced", currency="schedule__price_list__currency")
class PriceScheduleLineInline(admin.TabularInline):
    model = PriceScheduleLine
    fields = ["product", "variant", "shown_was", "shown_price", "shown_replaced", "outcome"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    max_num = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("product", "variant__product", "schedule__price_list")


@admin.register(PriceSchedule)
class PriceScheduleAdmin(admin.ModelAdmin):
    """Scheduled price changes are made from the products list ("Change prices …"); here they are
    followed, and cancelled (or ended early, which puts the prices back)."""

    list_display = ["name", "status", "starts_at", "ends_at", "percent", "ending", "line_count", "created_by"]
    list_filter = ["status"]
    search_fields = ["name", "reason"]
    date_hierarchy = "starts_at"
    readonly_fields = [
        "name", "reason", "price_list", "percent", "ending", "starts_at", "ends_at", "status", "created_by",
        "created_at", "started_at", "ended_at",
    ]  # fmt: skip
    inlines = [PriceScheduleLineInline]
    actions = ["cancel_schedules"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("created_by").annotate(line_count=Count("lines"))

    @admin.display(description=_("prices"), ordering="line_count")
    def line_count(self, obj):
        return obj.line_count

    @admin.action(description=_("Cancel (or end now, putting the prices back)"), permissions=["change"])
    def cancel_schedules(self, request, queryset):
        for schedule in queryset.order_by("pk"):
            try:
                done = pricing.cancel_price_schedule(schedule=schedule, actor=request.user)
            except InventoryError as exc:
                self.message_user(request, f"{schedule.name}: {exc.message}", messages.WARNING)
                continue
            if done.status == PriceSchedule.Status.CANCELLED:
                self.message_user(request, gettext("%(name)s: cancelled.") % {"name": schedule.name})
            else:
                self.message_user(request, gettext("%(name)s: ended, prices put back.") % {"name": schedule.name})


@money_columns(VariantPrice, "price", currency="price_list__currency")
class VariantPriceInline(admin.TabularInline):
    """The list's prices, newest first; read here, entered with "Add variant price"."""

    model = VariantPrice
    fields = ["variant", "shown_price", "valid_from", "valid_to"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    max_num = 0
    ordering = ["-valid_from", "variant_id"]
    show_change_link = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("variant__product", "price_list")


class PriceListImportForm(CsvUploadForm):
    price_list = forms.ModelChoiceField(
        queryset=PriceList.objects.filter(is_default=False).select_related("market"),
        label=_("Price list"),
        help_text=_("A market's list; the default list's prices are the catalog's own (import the catalog file)."),
    )
    reason = forms.CharField(
        max_length=200,
        label=_("Reason"),
        help_text=_("Kept in the price ledger with every price the file changes, e.g. 'Spring prices 2027'."),
    )


@admin.register(PriceList)
class PriceListAdmin(CsvImportMixin, admin.ModelAdmin):
    """The default list (the catalog's own prices) and each market's list, in the market's currency."""

    list_display = ["code", "name", "currency", "market", "is_default", "price_count"]
    list_select_related = ["market"]
    search_fields = ["code", "name"]
    fields = ["code", "name", "market", "currency", "is_default"]
    readonly_fields = ["is_default"]
    inlines = [VariantPriceInline]
    actions = ["export_prices"]

    import_title = _("Import prices CSV")
    import_form = PriceListImportForm
    import_columns = _(
        "One row per price: sku, price, and optionally valid_from and valid_to (e.g. 2026-12-04T09:00:00+01:00 or "
        "2026-12-04; without an offset, head office's time; an empty valid_from is now, an empty valid_to open), "
        "price_list and currency (when given, the list chosen above and its currency). The 'Export prices as CSV' "
        "action writes this format: export, edit the prices or periods, import.\n"
        "A price over a period cuts the list's prices of that SKU it overlaps (what is before and after stays); "
        "two lines of one SKU may not overlap. Prices the file leaves out stay as they are. Every price changed "
        "is a row of the price ledger."
    )

    def has_import_permission(self, request) -> bool:
        return request.user.has_perms(["inventory.add_variantprice", "inventory.view_pricelist"])

    def run_import(self, request, text, dry_run, price_list=None, reason=""):
        return price_import.import_list_prices(
            price_list=price_list, text=text, reason=reason, actor=request.user, dry_run=dry_run
        )

    @admin.action(
        description=_("Export prices as CSV (every price, its list, currency and period)"), permissions=["view"]
    )
    def export_prices(self, request, queryset):
        lists = list(queryset.order_by("code"))
        return streaming_csv_response(
            filename="prices.csv",
            header=["price_list", "currency", "sku", "price", "valid_from", "valid_to"],
            rows=market_prices.price_rows(price_lists=lists),
        )

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(price_count=Count("prices"))

    @admin.display(description=_("prices"), ordering="price_count")
    def price_count(self, obj):
        return gettext("catalog") if obj.is_default else obj.price_count

    def get_inlines(self, request, obj):
        return [] if obj is None or obj.is_default else self.inlines

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        market_prices.save_price_list(price_list=obj, actor=request.user, changed=form.changed_data)


class VariantPriceForm(forms.ModelForm):
    class Meta:
        model = VariantPrice
        fields = ["price_list", "variant", "price", "valid_from", "valid_to"]

    reason = forms.CharField(
        max_length=200, label=_("Reason"), help_text=_("Kept in the price ledger, e.g. 'Launch in Poland'.")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["price_list"].queryset = PriceList.objects.filter(is_default=False)
        self.fields["valid_from"].required = False
        self.fields["valid_from"].help_text = gettext("Empty: now. A future moment enters the price ahead.")

    def clean(self):
        data = super().clean()
        start, end = data.get("valid_from") or timezone.now(), data.get("valid_to")
        if end is not None and end <= start:
            self.add_error("valid_to", gettext("The end comes after the start."))
        return data

    def _post_clean(self):
        pass  # no model validation: a new price may overlap older ones, which the service cuts around it


@admin.register(VariantPrice)
class VariantPriceAdmin(admin.ModelAdmin):
    """A variant's price on a market's list for a period. Entered, never edited: a new price over a
    period cuts the ones it overlaps (the ledger keeps each change)."""

    form = VariantPriceForm
    list_display = ["variant", "price_list", "shown_price", "valid_from", "valid_to"]
    list_filter = ["price_list"]
    list_select_related = ["variant__product", "price_list"]
    search_fields = ["=variant__sku", "variant__product__style_code", "variant__product__name"]
    autocomplete_fields = ["variant"]
    date_hierarchy = "valid_from"
    show_full_result_count = False

    @admin.display(description=_("price"), ordering="price")
    def shown_price(self, obj):
        return format_money(obj.price, obj.price_list.currency)

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def get_fields(self, request, obj=None):
        # an entered price is shown, never edited: the form's `reason` is in the ledger, not on the row
        if obj is not None:
            return ["variant", "price_list", "price", "valid_from", "valid_to"]
        return super().get_fields(request, obj)

    def get_form(self, request, obj=None, **kwargs):
        if obj is not None:  # shown read-only with the model's own fields
            kwargs["form"] = forms.ModelForm
        return super().get_form(request, obj, **kwargs)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        entry = market_prices.ListPrice(data["variant"], data["price"], data.get("valid_from"), data.get("valid_to"))
        market_prices.set_list_prices(
            price_list=data["price_list"], prices=[entry], actor=request.user, reason=data["reason"]
        )
        obj.price_list = data["price_list"]

    def response_add(self, request, obj, post_url_continue=None):
        self.message_user(request, gettext("Price entered; the ledger has the change."), messages.SUCCESS)
        url = reverse("admin:inventory_variantprice_changelist")
        return HttpResponseRedirect(f"{url}?price_list__id__exact={obj.price_list_id}")

    def add_view(self, request, form_url="", extra_context=None):
        try:
            return super().add_view(request, form_url, extra_context)
        except InventoryError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def log_addition(self, request, obj, message):
        return None  # the service audits it; obj is not the row saved (it may be cut in pieces)
