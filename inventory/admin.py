"""The merchandisers' admin: catalog editing, stock visible per location, ledgers read-only.

Stock figures are never edited here: on_hand changes only through services (receipts,
adjustments, counts, transfers), so the ledger always explains the level.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, gettext_lazy, ngettext

from inventory import catalog, catalog_import, imports, pricing, services
from inventory.admin_prices import BulkPriceChangeAction
from inventory.errors import InventoryError
from inventory.exports import STOCK_EXPORT_COLUMNS, stock_rows
from inventory.models import (
    Category,
    CategoryTranslation,
    PriceChange,
    Product,
    ProductTranslation,
    Reservation,
    StockCount,
    StockCountLine,
    StockLevel,
    StockMovement,
    Transfer,
    TransferLine,
    Variant,
)
from inventory.operations import request_transfer
from retail.admin import CsvImportMixin, CsvUploadForm, streaming_csv_response
from retail.admin_money import money_columns
from retail.messages import say
from retail.models import Store
from retail.replica import reporting, reporting_db
from retail.services import record_audit_event


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CategoryTranslationInline(admin.TabularInline):
    model = CategoryTranslation
    extra = 0
    verbose_name = gettext_lazy("name in another language")
    verbose_name_plural = gettext_lazy(
        "Names in other languages (empty: the market's default language, then the name above)"
    )


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["__str__", "slug", "return_window_days", "product_count"]
    list_select_related = ["parent__parent"]
    search_fields = ["name", "slug", "translations__name"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["parent"]
    inlines = [CategoryTranslationInline]

    def get_search_results(self, request, queryset, search_term):
        queryset, _ = super().get_search_results(request, queryset, search_term)
        return queryset, True  # a name in two languages can match twice

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(product_count=Count("products"))

    @admin.display(ordering="product_count", description=gettext_lazy("products"))
    def product_count(self, obj):
        return obj.product_count


class VariantInline(admin.TabularInline):
    model = Variant
    extra = 0
    fields = ["sku", "barcode", "size", "colour", "price_override", "weight_grams", "is_active"]
    show_change_link = True


class WordNamesField(forms.CharField):
    """A translation's names of its variants' words (colours, sizes) as lines "Grey = Grigio"
    (ProductTranslation.colours / .sizes hold them as an object)."""

    widget = forms.Textarea(attrs={"rows": 3, "cols": 40})
    malformed = ""  # a line without its "=": says how to write one (%(number)s: the line)

    def prepare_value(self, value):
        if isinstance(value, dict):
            return "\n".join(f"{own} = {name}" for own, name in value.items())
        return value

    def to_python(self, value):
        words = {}
        for number, line in enumerate((super().to_python(value) or "").splitlines(), 1):
            if not line.strip():
                continue
            own, equals, name = (part.strip() for part in line.partition("="))
            if not (equals and own and name):
                raise ValidationError(self.malformed % {"number": number})
            if own in words:
                raise ValidationError(gettext("%(word)s is named twice: keep one line.") % {"word": own})
            words[own] = name[:40]
        return words

    def has_changed(self, initial, data):
        try:
            return self.to_python(data) != (initial or {})
        except ValidationError:
            return True


class ColourNamesField(WordNamesField):
    malformed = gettext_lazy(
        "Line %(number)s: write the colour as the variants have it, '=', then its name in this language, "
        "e.g. Grey = Grigio."
    )


class SizeNamesField(WordNamesField):
    malformed = gettext_lazy(
        "Line %(number)s: write the size as the variants have it, '=', then its name in this language, "
        "e.g. Double = Matrimoniale."
    )


class ProductTranslationForm(forms.ModelForm):
    colours = ColourNamesField(
        required=False,
        label=gettext_lazy("Colours"),
        help_text=gettext_lazy(
            "One line per colour of the style: the colour as its variants have it, '=', then its name in this "
            "language (Grey = Grigio). A colour left out is shown as the variants have it."
        ),
    )
    sizes = SizeNamesField(
        required=False,
        label=gettext_lazy("Sizes"),
        help_text=gettext_lazy(
            "Only sizes written as words: one line per size, as its variants have it, '=', then its name in this "
            "language (Double = Matrimoniale). Codes such as M or 42 need none; a size left out is shown as the "
            "variants have it."
        ),
    )

    class Meta:
        model = ProductTranslation
        fields = ["language", "name", "description", "colours", "sizes"]


class ProductTranslationInline(admin.StackedInline):
    model = ProductTranslation
    form = ProductTranslationForm
    extra = 0
    fields = ["language", "name", "description", "colours", "sizes"]
    verbose_name = gettext_lazy("text in another language")
    verbose_name_plural = gettext_lazy(
        "Texts in other languages (shoppers and staff read their language, else the market's default, else the above)"
    )


class CatalogUploadForm(CsvUploadForm):
    create_categories = forms.BooleanField(
        required=False,
        label=gettext_lazy("Create missing categories"),
        help_text=gettext_lazy(
            "Without it, a category the catalog does not have yet is an error on its line, so a typo such as "
            "Men/Outerwaer is caught instead of becoming a new category. Check the file first to see which would be "
            "made."
        ),
    )


@admin.register(Product)
@money_columns(Product, "base_price", currency=None)  # the default price list's: the home market's currency
class ProductAdmin(BulkPriceChangeAction, CsvImportMixin, admin.ModelAdmin):
    list_display = ["style_code", "name", "brand", "category", "shown_base_price", "variant_count", "is_active",
                    "final_sale"]  # fmt: skip
    list_filter = ["is_active", "final_sale", "tax_class", "category", "brand"]
    list_select_related = ["category__parent"]
    search_fields = ["style_code", "name", "brand", "=variants__sku", "=variants__barcode", "translations__name"]
    autocomplete_fields = ["category"]
    inlines = [ProductTranslationInline, VariantInline]
    readonly_fields = ["stock_by_location", "created_at", "updated_at"]
    actions = ["change_prices", "activate", "deactivate", "export_csv"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "style_code",
                    "name",
                    "brand",
                    "category",
                    "base_price",
                    "tax_class",
                    "weight_grams",
                    "is_active",
                ]
            },
        ),
        (gettext_lazy("Content"), {"fields": ["description", "image_url", "attributes"]}),
        (gettext_lazy("Returns"), {"fields": ["final_sale", "return_window_days"]}),
        (
            gettext_lazy("Stock (read-only: changes go through receipts, counts and transfers)"),
            {"fields": ["stock_by_location"]},
        ),
        (gettext_lazy("Dates"), {"fields": ["created_at", "updated_at"]}),
    ]

    import_title = gettext_lazy("Import catalog CSV")
    import_form = CatalogUploadForm
    import_command = "manage.py import_catalog FILE.csv [--create-categories]"
    import_columns = gettext_lazy(
        "One row per variant, separated by commas or semicolons (in a semicolon-separated file prices may use a "
        "decimal comma: 19,99). Required: style_code, name, category (an existing path such as Women/Tops), "
        "base_price, sku.\n"
        "Optional: brand, description, image_url, final_sale (yes/no), return_window_days, barcode (EAN/UPC), "
        "size, colour, price_override, active (yes/no); the texts in other languages: name_it, description_it, "
        "colour_it and size_it (the row's colour and size in Italian, a size only when written as a word), name_pl, "
        "description_pl, colour_pl, size_pl (an empty name removes that language's text).\n"
        "Products are matched by style_code and variants by sku: existing ones are updated, new ones created. "
        "An optional column left out of the file leaves that field as it is; an empty cell clears it. "
        "The 'Export as catalog CSV' action writes this format."
    )

    def has_import_permission(self, request) -> bool:
        return request.user.has_perms(["inventory.add_product", "inventory.change_product"])

    def run_import(self, request, text, dry_run, create_categories=False):
        return catalog_import.import_catalog(
            text=text, actor=request.user, dry_run=dry_run, create_categories=create_categories
        )

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(variant_count=Count("variants", distinct=True))

    def get_search_results(self, request, queryset, search_term):
        queryset, _ = super().get_search_results(request, queryset, search_term)
        return queryset, True  # the variants join can repeat a product

    @admin.display(ordering="variant_count", description=gettext_lazy("variants"))
    def variant_count(self, obj):
        return obj.variant_count

    @admin.display(description=gettext_lazy("stock per location"))
    def stock_by_location(self, obj):
        levels = (
            StockLevel.objects.filter(variant__product=obj)
            .select_related("variant", "location")
            .order_by("variant__sku", "location__code")
        )
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    lv.variant.sku,
                    lv.location.code,
                    lv.on_hand,
                    lv.reserved,
                    lv.available,
                    lv.last_counted_at or gettext("never"),
                )
                for lv in levels
            ),
        )
        if not rows:
            return gettext("No stock anywhere.")
        headings = (gettext("SKU"), gettext("Location"), gettext("On hand"), gettext("Reserved"), gettext("Available"),
                    gettext("Last counted"))  # fmt: skip
        return format_html(
            "<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table>",
            format_html_join("", "<th>{}</th>", ((h,) for h in headings)),
            rows,
        )

    def save_model(self, request, obj, form, change):
        # A base price typed in the form is a price change like any other: in the ledger.
        old = Product.objects.filter(pk=obj.pk).values_list("base_price", flat=True).first() if change else None
        super().save_model(request, obj, form, change)
        if change and old != obj.base_price:
            pricing.record_price_edits(
                changes=[(obj, None, old, obj.base_price)], source=PriceChange.Source.EDIT,
                reason=say("inventory.product_form"), actor=request.user,
            )  # fmt: skip

    def save_formset(self, request, form, formset, change):
        if formset.model is not Variant:
            return super().save_formset(request, form, formset, change)
        # Variants' own prices typed in the inline: in the ledger too (a new variant is not a change).
        old = dict(Variant.objects.filter(product=form.instance).values_list("pk", "price_override"))
        super().save_formset(request, form, formset, change)
        kept = [f.instance for f in formset.forms if f not in formset.deleted_forms and f.instance.pk in old]
        pricing.record_price_edits(
            changes=[(form.instance, v, old[v.pk], v.price_override) for v in kept],
            source=PriceChange.Source.EDIT,
            reason=say("inventory.product_form"),
            actor=request.user,
        )
        return None

    @admin.action(
        description=gettext_lazy("Export as catalog CSV (import_catalog reads it back)"), permissions=["view"]
    )
    def export_csv(self, request, queryset):
        response = HttpResponse(catalog.export_catalog(products=queryset), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="catalog.csv"'
        return response

    @admin.action(description=gettext_lazy("Activate (sell again)"), permissions=["change"])
    def activate(self, request, queryset):
        changed = catalog.set_products_active(products=queryset, active=True, actor=request.user)
        self.message_user(
            request,
            ngettext("Activated %(count)s product.", "Activated %(count)s products.", changed) % {"count": changed},
        )

    @admin.action(description=gettext_lazy("Deactivate (stop selling)"), permissions=["change"])
    def deactivate(self, request, queryset):
        changed = catalog.set_products_active(products=queryset, active=False, actor=request.user)
        self.message_user(
            request,
            ngettext("Deactivated %(count)s product.", "Deactivated %(count)s products.", changed) % {"count": changed},
        )


class TransferRequestForm(forms.Form):
    from_location = forms.ModelChoiceField(
        queryset=Store.objects.none(),
        label=gettext_lazy("From"),
        help_text=gettext_lazy("Usually a warehouse; only units free at the source will ship."),
    )
    to_location = forms.ModelChoiceField(
        queryset=Store.objects.none(),
        label=gettext_lazy("To"),
        help_text=gettext_lazy("The store that needs the units."),
    )
    quantity = forms.IntegerField(
        min_value=1,
        max_value=10_000,
        label=gettext_lazy("Quantity"),
        help_text=gettext_lazy("Units of each selected SKU."),
    )
    note = forms.CharField(max_length=200, required=False, label=gettext_lazy("Note"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        locations = Store.objects.active().order_by("kind", "code")
        self.fields["from_location"].queryset = locations
        self.fields["to_location"].queryset = locations.filter(kind=Store.Kind.STORE)


class TransferRequestActionMixin:
    """The "Request a transfer …" action: the selected SKUs, one quantity each, from one location to
    a store, through `request_transfer` (nothing moves until the source ships it in the portal)."""

    def has_transfer_permission(self, request) -> bool:
        return request.user.has_perm("inventory.add_transfer")

    def variants_for_transfer(self, queryset):
        raise NotImplementedError

    def default_transfer_source(self, queryset):
        return Store.objects.active().filter(kind=Store.Kind.WAREHOUSE).order_by("code").first()

    @admin.action(description=gettext_lazy("Request a transfer of the selected SKUs …"), permissions=["transfer"])
    def request_transfer(self, request, queryset):
        variants = list(self.variants_for_transfer(queryset).select_related("product").order_by("sku")[:501])
        if len(variants) > 500:
            self.message_user(request, gettext("Select at most 500 SKUs for one transfer."), messages.ERROR)
            return None
        applying = "apply" in request.POST
        source = self.default_transfer_source(queryset)
        form = TransferRequestForm(request.POST if applying else None, initial={"from_location": source})
        if applying and form.is_valid():
            data = form.cleaned_data
            try:
                transfer = request_transfer(
                    from_location=data["from_location"],
                    to_location=data["to_location"],
                    lines=[(v, data["quantity"]) for v in variants],
                    actor=request.user,
                    note=data["note"],
                )
            except InventoryError as exc:
                self.message_user(request, exc.message, messages.ERROR)
                return None
            self.message_user(
                request,
                format_html(
                    ngettext(
                        'Requested <a href="{}">{}</a>: {} SKU, {} unit(s) each, from {} to {}.',
                        'Requested <a href="{}">{}</a>: {} SKUs, {} unit(s) each, from {} to {}.',
                        len(variants),
                    ),
                    reverse("admin:inventory_transfer_change", args=[transfer.pk]),
                    transfer.reference,
                    len(variants),
                    data["quantity"],
                    data["from_location"].code,
                    data["to_location"].code,
                ),
                messages.SUCCESS,
            )
            return None
        return TemplateResponse(
            request,
            "admin/inventory/request_transfer.html",
            {
                **self.admin_site.each_context(request),
                "title": gettext("Request a transfer"),
                "form": form,
                "variants": variants[:50],
                "count": len(variants),
                "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
                "opts": self.model._meta,
            },
        )


class StockLevelInline(ReadOnlyMixin, admin.TabularInline):
    model = StockLevel
    fields = ["location", "on_hand", "reserved", "safety_stock", "last_counted_at"]
    readonly_fields = fields
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("location")


@admin.register(Variant)
@money_columns(Variant, "price_override", currency=None)  # the default price list's: the home market's currency
class VariantAdmin(TransferRequestActionMixin, admin.ModelAdmin):
    list_display = ["sku", "barcode", "product", "size", "colour", "shown_price_override", "is_active"]
    list_filter = ["is_active", "size", "product__category"]
    list_select_related = ["product"]
    search_fields = ["=sku", "=barcode", "product__name", "product__style_code"]
    autocomplete_fields = ["product"]
    inlines = [StockLevelInline]
    actions = ["request_transfer"]

    def variants_for_transfer(self, queryset):
        return Variant.objects.filter(pk__in=queryset.values("pk"))


@admin.register(StockLevel)
class StockLevelAdmin(CsvImportMixin, TransferRequestActionMixin, admin.ModelAdmin):
    """Only the safety stock is editable: it holds units back but is not a movement of stock.

    Counted figures come in by the stock CSV import (posted as stock counts, so the ledger explains
    every change); units move between locations by a transfer request.
    """

    list_display = ["variant", "location", "on_hand", "reserved", "safety_stock", "available", "last_counted_at"]
    list_filter = ["location__kind", "location", "variant__product__category"]
    list_select_related = ["variant__product", "location"]
    search_fields = ["=variant__sku", "=variant__barcode", "variant__product__name", "variant__product__style_code"]
    readonly_fields = ["variant", "location", "on_hand", "reserved", "last_counted_at"]
    fields = ["variant", "location", "on_hand", "reserved", "safety_stock", "last_counted_at"]
    actions = ["request_transfer", "export_csv"]
    show_full_result_count = False
    import_title = gettext_lazy("Import stock CSV")
    import_command = "manage.py import_stock FILE.csv"
    import_columns = gettext_lazy(
        "Required: sku, location (store or warehouse code), on_hand (the units counted). Optional: safety_stock.\n"
        "Each location's rows are posted as one stock count: the difference to the current level becomes a "
        "'count' movement in the ledger and the level is stamped as counted."
    )

    def has_import_permission(self, request) -> bool:
        return request.user.has_perms(["inventory.change_stocklevel", "inventory.add_stockcount"])

    def run_import(self, request, text, dry_run):
        return imports.import_stock(text=text, actor=request.user, dry_run=dry_run)

    def variants_for_transfer(self, queryset):
        return Variant.objects.filter(pk__in=queryset.values("variant_id"))

    def default_transfer_source(self, queryset):
        locations = list(queryset.values_list("location_id", flat=True).distinct()[:2])
        if len(locations) == 1:
            return Store.objects.filter(pk=locations[0]).first()
        return super().default_transfer_source(queryset)

    @admin.action(description=gettext_lazy("Export the selected stock levels as CSV"), permissions=["view"])
    def export_csv(self, request, queryset):
        record_audit_event(actor=request.user, action="stock.exported", object_type="inventory.stocklevel")
        with reporting(request.user):  # read from the replica when it is fresh enough (retail/replica.py)
            levels = queryset.using(reporting_db()).order_by()
        return streaming_csv_response(filename="stock.csv", header=STOCK_EXPORT_COLUMNS, rows=stock_rows(levels))

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        # through the service: the level is locked and the change audited
        services.set_safety_stock(
            location=obj.location, variant=obj.variant, safety_stock=obj.safety_stock, actor=request.user
        )


@admin.register(StockMovement)
class StockMovementAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = [
        "created_at", "kind", "variant", "location", "quantity", "balance_after", "actor", "reference", "said"
    ]  # fmt: skip
    exclude = ["note"]  # shown as `said`: the system's sentence in the reader's language, or the words typed
    readonly_fields = ["said"]
    list_filter = ["kind", "location"]
    list_select_related = ["variant__product", "location", "actor"]
    search_fields = ["=variant__sku", "reference"]
    date_hierarchy = "created_at"
    show_full_result_count = False

    @admin.display(description=gettext_lazy("note"))
    def said(self, obj) -> str:
        return obj.said


@admin.register(Reservation)
class ReservationAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["reference", "variant", "location", "quantity", "status", "expires_at", "created_at", "closed_at"]
    list_filter = ["status", "location"]
    list_select_related = ["variant__product", "location"]
    search_fields = ["reference", "=variant__sku"]


class TransferLineInline(admin.TabularInline):
    model = TransferLine
    extra = 0
    fields = ["variant", "quantity_requested", "quantity_shipped", "quantity_received", "discrepancy"]
    readonly_fields = ["variant", "quantity_requested", "quantity_shipped", "quantity_received", "discrepancy"]
    can_delete = False

    @admin.display(description=gettext_lazy("discrepancy"))
    def discrepancy(self, line):
        return line.discrepancy

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("variant__product")


@admin.register(Transfer)
class TransferAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Transfers are requested, shipped and received in the portal, where stock moves."""

    list_display = ["reference", "from_location", "to_location", "status", "requested_by", "requested_at", "shipped_at",
                    "received_at"]  # fmt: skip
    list_filter = ["status", "from_location", "to_location"]
    list_select_related = ["from_location", "to_location", "requested_by"]
    search_fields = ["=id", "note", "from_location__code", "to_location__code", "=lines__variant__sku"]
    date_hierarchy = "requested_at"
    exclude = ["note"]  # shown as `said`: the system's note in the reader's language, or the words typed
    readonly_fields = ["said"]

    @admin.display(description=gettext_lazy("reference"), ordering="id")
    def reference(self, transfer):
        return transfer.reference

    @admin.display(description=gettext_lazy("note"))
    def said(self, transfer) -> str:
        return transfer.said

    def get_search_results(self, request, queryset, search_term):
        queryset, _ = super().get_search_results(request, queryset, search_term.removeprefix("TR-"))
        return queryset, True  # a SKU on several lines repeats the transfer

    inlines = [TransferLineInline]


class StockCountLineInline(ReadOnlyMixin, admin.TabularInline):
    model = StockCountLine
    fields = ["variant", "counted_quantity", "expected_quantity", "difference"]
    readonly_fields = fields
    extra = 0

    @admin.display(description=gettext_lazy("difference"))
    def difference(self, line):
        return line.difference

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("variant__product")


@admin.register(StockCount)
class StockCountAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["id", "location", "status", "started_by", "started_at", "posted_at", "decided_by"]
    list_filter = ["status", "location"]
    list_select_related = ["location", "started_by", "decided_by"]
    search_fields = ["=id", "location__code", "note"]
    date_hierarchy = "started_at"
    inlines = [StockCountLineInline]
