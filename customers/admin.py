"""Head office: customers (search, filters, identities), tiers, offers; ledgers and timeline read-only."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import TextField
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import format_lazy
from django.utils.translation import gettext, gettext_lazy, ngettext

from customers import giftcard_admin  # noqa: F401 — registers gift cards and their ledger
from customers.errors import CustomerError
from customers.exports import MARKETING_COLUMNS, SERVICE_COLUMNS, customer_rows
from customers.imports import CUSTOMER_HELP, import_customers, text_opener
from customers.merge_admin import MergeTwoAction
from customers.models import (
    Consent,
    Customer,
    CustomerIdentity,
    CustomerMerge,
    Interaction,
    LoyaltyTier,
    Offer,
    PointsEntry,
    StoreCreditEntry,
    Tag,
)
from customers.services import (
    assign_associate,
    assign_offer_to_segment,
    clean_profile_values,
    contact_clashes,
    create_customer,
    erase_customer,
    set_customer_login,
    set_customer_tags,
    set_offers_active,
    undo_merge,
    update_customer_profile,
)
from customers.services.linking import merge_reason_read
from customers.timeline_messages import spoken_subject
from retail.admin import CsvImportMixin, admin_may_view, streaming_csv_response
from retail.admin_money import money_columns, reader_home_currency
from retail.domain import texts as translated_texts
from retail.domain.money import format_money
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


class IdentityInline(admin.TabularInline):
    model = CustomerIdentity
    extra = 0
    fields = ["kind", "value", "created_at", "last_seen_at"]
    readonly_fields = ["created_at", "last_seen_at"]

    def has_add_permission(self, request, obj=None):
        return False  # identities are added by resolution and by profile changes, normalised


class ConsentInline(ReadOnlyInline):
    model = Consent
    fields = ["channel", "granted", "changed_at", "source"]
    readonly_fields = fields


# Fields of the form that are not the profile's own (update_customer_profile): each has its service.
NOT_PROFILE = {"assigned_associate", "tags", "user"}


class CustomerAdminForm(forms.ModelForm):
    """Checks what the services would refuse, so it comes back as errors on the form; the admin
    then saves through the services (CustomerAdmin.save_model)."""

    class Meta:
        model = Customer
        fields = [
            "first_name",
            "last_name",
            "email",
            "phone",
            "card_number",
            "birthday",
            "important_dates",
            "home_store",
            "language",
            "assigned_associate",
            "preferred_sizes",
            "tags",
            "user",
        ]

    def clean(self):
        data = super().clean()
        try:
            cleaned = clean_profile_values(
                {k: data.get(k) or "" for k in ("email", "phone", "card_number")}
                | {"preferred_sizes": data.get("preferred_sizes") or {}}
            )
        except CustomerError as exc:
            raise ValidationError(dict(exc.fields) or exc.message) from None
        data.update(cleaned)
        # A contact another profile holds is refused (two people never share one); only changed
        # ones are checked, so a profile that already shares one can still be edited otherwise.
        changed = {f: cleaned[f] for f in ("email", "phone", "card_number") if f in self.changed_data}
        for field, owner in contact_clashes(changed, customer_id=self.instance.pk).items():
            label = self.fields[field].label if field in self.fields else field
            clash = gettext("Customer #%(owner)s already has this %(field)s: open that profile or merge the two.")
            self.add_error(field, clash % {"owner": owner, "field": str(label).lower()})
        return data


@admin.register(Customer)
class CustomerAdmin(MergeTwoAction, CsvImportMixin, admin.ModelAdmin):
    form = CustomerAdminForm
    list_display = [
        "__str__",
        "email",
        "phone",
        "card_number",
        "home_store",
        "tier",
        "assigned_associate",
        "last_seen_at",
    ]
    list_filter = [
        "home_store",
        "loyalty_account__tier",
        "tags",
        "is_anonymous",
        ("erased_at", admin.EmptyFieldListFilter),
    ]
    search_fields = ["search_name", "=email", "=phone", "=card_number", "identities__value"]
    search_help_text = gettext_lazy("Name, or exact email / E.164 phone / card / any identity.")
    autocomplete_fields = ["home_store", "assigned_associate", "user", "tags"]
    readonly_fields = ["merged_into", "erased_at", "channels", "last_seen_at", "created_at", "updated_at", "balances"]
    inlines = [IdentityInline, ConsentInline]
    list_select_related = ["home_store", "assigned_associate", "loyalty_account__tier"]
    show_full_result_count = False
    actions = ["export_marketing", "export_service", "merge_two", "erase_selected"]
    import_title = gettext_lazy("Import customers CSV")
    import_command = "manage.py import_customers FILE.csv"
    import_columns = CUSTOMER_HELP
    fieldsets = [
        (None, {"fields": ["first_name", "last_name", "email", "phone", "card_number", "birthday", "important_dates"]}),
        (
            gettext_lazy("Store and preferences"),
            {"fields": ["home_store", "language", "assigned_associate", "preferred_sizes", "tags", "user"]},
        ),
        (
            gettext_lazy("Status"),
            {
                "fields": [
                    "balances",
                    "channels",
                    "last_seen_at",
                    "merged_into",
                    "erased_at",
                    "created_at",
                    "updated_at",
                ]
            },
        ),
    ]

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term.lower())
        return queryset, may_have_duplicates

    def has_import_permission(self, request) -> bool:
        return request.user.has_perms(["customers.add_customer", "customers.change_customer"])

    def run_import(self, request, text, dry_run):
        return import_customers(opener=text_opener(text), actor=request.user, dry_run=dry_run)

    def _export(self, request, queryset, *, marketing: bool):
        kind = "marketing" if marketing else "service"
        record_audit_event(
            actor=request.user,
            action="customers.exported",
            object_type="customers.customer",
            details={"kind": kind, "via": "admin"},
        )
        with reporting(request.user):  # read from the replica when it is fresh enough (retail/replica.py)
            customers = Customer.objects.using(reporting_db()).filter(pk__in=queryset.values("pk"))
        return streaming_csv_response(
            filename=f"customers-{kind}.csv",
            header=MARKETING_COLUMNS if marketing else SERVICE_COLUMNS,
            rows=customer_rows(customers, marketing=marketing),
        )

    @admin.action(
        description=gettext_lazy("Export a marketing list (only those who said yes to email)"), permissions=["view"]
    )
    def export_marketing(self, request, queryset):
        return self._export(request, queryset, marketing=True)

    @admin.action(
        description=gettext_lazy("Export for service use (full details; customer service)"), permissions=["change"]
    )
    def export_service(self, request, queryset):
        return self._export(request, queryset, marketing=False)

    @admin.display(description=gettext_lazy("Tier"))
    def tier(self, obj):
        account = getattr(obj, "loyalty_account", None)
        return account.tier if account else None

    @admin.display(description=gettext_lazy("Balances (ledgers)"))
    def balances(self, obj):

        account = getattr(obj, "loyalty_account", None)
        credit = getattr(obj, "store_credit", None)
        points = account.balance if account else 0
        # in the account's currency; an account never credited (or none yet) holds nothing in the home one
        credit_shown = (
            format_money(credit.balance, credit.currency or reader_home_currency())
            if credit
            else (format_money(0, reader_home_currency()))
        )
        parts = []
        for model, url, text in (
            (PointsEntry, "admin:customers_pointsentry_changelist",
             ngettext("%(count)s point", "%(count)s points", points) % {"count": points}),
            (StoreCreditEntry, "admin:customers_storecreditentry_changelist",
             gettext("%(amount)s store credit") % {"amount": credit_shown}),
        ):  # fmt: skip
            # the ledger's page only for those who may read it
            if admin_may_view(model):
                parts.append(format_html('<a href="{}?q={}">{}</a>', reverse(url), obj.pk, text))
            else:
                parts.append(text)
        return format_html_join(" · ", "{}", ((part,) for part in parts))

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except CustomerError as exc:
            # refused by a service after the form was checked (a contact taken meanwhile): nothing
            # was written (the admin's transaction rolled back); say why on the same page
            self.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def save_model(self, request, obj, form, change):
        """Through the services: normalised contacts claimed as identities, every change audited."""
        data, actor = form.cleaned_data, request.user
        if change:
            customer = Customer.objects.get(pk=obj.pk)  # `obj` already carries the form's values
            changed = set(form.changed_data)
            profile = {field: data[field] for field in changed - NOT_PROFILE}
            if profile:
                customer = update_customer_profile(customer=customer, values=profile, actor=actor)
            if "assigned_associate" in changed:
                assign_associate(customer=customer, associate=data["assigned_associate"], actor=actor)
            if "user" in changed:
                set_customer_login(customer=customer, user=data["user"], actor=actor)
        else:
            customer = create_customer(
                **{field: data[field] for field in set(CustomerAdminForm.Meta.fields) - NOT_PROFILE},
                user=data["user"],
                assigned_associate=data["assigned_associate"],
                actor=actor,
            )
            obj.pk, obj._state.adding = customer.pk, False
        if "tags" in form.changed_data:
            set_customer_tags(customer=customer, tags=data["tags"], actor=actor)
        obj.refresh_from_db()

    def save_related(self, request, form, formsets, change):
        # the tags were set by set_customer_tags in save_model (not by the form's save_m2m)
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    # Irreversible: only those who may delete customers (the admin group), not every editor.
    @admin.action(description=gettext_lazy("Erase the personal data of the selected customers"), permissions=["delete"])
    def erase_selected(self, request, queryset):
        done = 0
        for customer in queryset.filter(erased_at__isnull=True):
            erase_customer(customer=customer, actor=request.user, reason=f"admin action by {request.user}")
            done += 1
        self.message_user(
            request,
            ngettext("Erased %(count)s customer.", "Erased %(count)s customers.", done) % {"count": done},
            messages.SUCCESS,
        )


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ["name"]


class TranslationsForm(forms.ModelForm):
    """The row's texts in each other language (retail.domain.texts), one field per text and language
    ("name (Italiano)"), kept in its `translations`; an empty field reads the row's own text."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        stored = self.instance.translations if isinstance(self.instance.translations, dict) else {}
        for field in self._meta.model.TRANSLATED:
            for code, _language in translated_texts.other_languages():
                texts = stored.get(code)
                self.initial.setdefault(f"{field}_{code}", texts.get(field, "") if isinstance(texts, dict) else "")

    def clean(self):
        cleaned = super().clean()
        translations = {}
        for code, _language in translated_texts.other_languages():
            translations[code] = {field: cleaned.get(f"{field}_{code}") or "" for field in self._meta.model.TRANSLATED}
        self.instance.translations = translated_texts.cleaned(translations)
        return cleaned


def translations_form(model) -> type[TranslationsForm]:
    """A TranslationsForm for `model` with a field per translated text and language."""
    declared = {}
    for field in model.TRANSLATED:
        model_field = model._meta.get_field(field)
        for code, language in translated_texts.other_languages():
            declared[f"{field}_{code}"] = forms.CharField(
                label=format_lazy("{} ({})", model_field.verbose_name, language),
                required=False,
                max_length=getattr(model_field, "max_length", None),
                widget=forms.Textarea(attrs={"rows": 3}) if isinstance(model_field, TextField) else None,
            )
    meta = type("Meta", (), {"model": model, "exclude": ["translations"]})
    return type(f"{model.__name__}TranslationsForm", (TranslationsForm,), {"Meta": meta, **declared})


@admin.register(LoyaltyTier)
@money_columns(LoyaltyTier, "min_spend", currency=None)  # in the home market's currency (LoyaltyTier.min_spend)
class LoyaltyTierAdmin(admin.ModelAdmin):
    form = translations_form(LoyaltyTier)
    list_display = ["name", "code", "shown_min_spend", "points_per_unit"]
    search_fields = ["name", "code"]
    prepopulated_fields = {"code": ["name"]}


@admin.register(Offer)
class OfferAdmin(admin.ModelAdmin):
    form = translations_form(Offer)
    list_display = [
        "name",
        "code",
        "discount",
        "segment",
        "tier",
        "tag",
        "valid_from",
        "valid_until",
        "is_active",
    ]
    list_filter = ["is_active", "segment", "tier", "currency"]
    list_select_related = ["tier", "tag"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["tag", "tier"]
    actions = ["assign_to_segment", "activate", "deactivate"]

    @admin.display(description=gettext_lazy("Discount"), ordering="discount_percent")
    def discount(self, offer):
        return offer.discount_label  # an amount off with its currency: "5,00 € off", "20,00 zł off"

    @admin.action(
        description=gettext_lazy("Assign to every customer its rules admit (segment, tier, tag)"),
        permissions=["change"],
    )
    def assign_to_segment(self, request, queryset):
        for offer in queryset:
            try:
                added = assign_offer_to_segment(offer=offer, actor=request.user)
            except CustomerError as exc:
                self.message_user(request, f"{offer.code}: {exc.message}", messages.ERROR)
            else:
                assigned = ngettext(
                    "%(code)s: assigned to %(count)s more customer.",
                    "%(code)s: assigned to %(count)s more customers.",
                    added,
                ) % {"code": offer.code, "count": added}
                self.message_user(request, assigned, messages.SUCCESS)

    @admin.action(description=gettext_lazy("Activate the selected offers"), permissions=["change"])
    def activate(self, request, queryset):
        self._set_active(request, queryset, active=True)

    @admin.action(description=gettext_lazy("Deactivate the selected offers"), permissions=["change"])
    def deactivate(self, request, queryset):
        self._set_active(request, queryset, active=False)

    def _set_active(self, request, queryset, *, active: bool):
        changed = set_offers_active(offer_ids=queryset.values_list("pk", flat=True), active=active, actor=request.user)
        codes = ", ".join(o.code for o in changed) or gettext("none")
        if active:
            done = ngettext(
                "%(count)s offer made active: %(codes)s.", "%(count)s offers made active: %(codes)s.", len(changed)
            )
        else:
            done = ngettext(
                "%(count)s offer made inactive: %(codes)s.", "%(count)s offers made inactive: %(codes)s.", len(changed)
            )
        self.message_user(request, done % {"count": len(changed), "codes": codes}, messages.SUCCESS)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Interaction)
class InteractionAdmin(ReadOnlyAdmin):
    list_display = ["occurred_at", "customer", "channel", "kind", "said", "store", "source"]
    exclude = ["subject"]  # shown as `said`: a service's sentence in the reader's language
    readonly_fields = ["said"]
    list_filter = ["channel", "kind"]
    search_fields = ["=customer__id", "subject", "=external_id"]
    list_select_related = ["customer", "store"]
    date_hierarchy = "occurred_at"
    show_full_result_count = False

    @admin.display(description=gettext_lazy("subject"))
    def said(self, obj) -> str:
        return spoken_subject(obj)


@admin.register(PointsEntry)
class PointsEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "account", "kind", "points", "reference", "said", "actor"]
    exclude = ["note"]  # shown as `said`: the system's sentence in the reader's language, or the words typed
    readonly_fields = ["said"]
    list_filter = ["kind"]
    search_fields = ["reference", "=account__customer__id", "=account__customer__email"]
    list_select_related = ["account", "actor"]
    date_hierarchy = "created_at"
    show_full_result_count = False

    @admin.display(description=gettext_lazy("note"))
    def said(self, obj) -> str:
        return obj.said


@admin.register(StoreCreditEntry)
@money_columns(StoreCreditEntry, "amount", currency="account__currency")
class StoreCreditEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "account", "kind", "shown_amount", "reference", "store", "actor"]
    fields = readonly_fields = ["created_at", "account", "kind", "shown_amount", "reference", "store", "actor"]
    list_filter = ["kind", "store"]
    search_fields = ["reference", "=account__customer__id", "=account__customer__email"]
    list_select_related = ["account", "store", "actor"]
    date_hierarchy = "created_at"
    show_full_result_count = False


@admin.register(CustomerMerge)
class CustomerMergeAdmin(ReadOnlyAdmin):
    list_display = ["merged_at", "source", "target", "said_reason", "actor", "undone_at"]
    list_select_related = ["source", "target", "actor"]
    actions = ["undo_selected"]

    @admin.display(description=gettext_lazy("reason"))
    def said_reason(self, obj) -> str:
        return merge_reason_read(obj.reason)  # the system's own reasons in the reader's language

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm("customers.change_customer") if obj is None else False

    @admin.action(description=gettext_lazy("Undo the selected merges"), permissions=["change"])
    def undo_selected(self, request, queryset):
        for merge in queryset.filter(undone_at__isnull=True):
            try:
                undo_merge(merge=merge, actor=request.user)
            except CustomerError as exc:
                self.message_user(
                    request,
                    gettext("Merge #%(pk)s: %(problem)s") % {"pk": merge.pk, "problem": exc.message},
                    messages.ERROR,
                )
            else:
                self.message_user(request, gettext("Merge #%(pk)s undone.") % {"pk": merge.pk}, messages.SUCCESS)
