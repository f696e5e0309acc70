"""Head office's admin of the core app, and the CSV tools every app's admin shares.

`CsvImportMixin` gives a ModelAdmin an "Import CSV" page (upload, the same importer the
management command runs, line-numbered errors on the page, nothing written when any line is bad);
`streaming_csv_response` streams an export row by row so big exports never sit in memory.
"""

from collections.abc import Iterable
from contextvars import ContextVar
from functools import wraps

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import ActionLocation
from django.contrib.admin.templatetags import admin_list
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseRedirect, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.templatetags.static import static
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from retail import services
from retail.domain.channel import Channel
from retail.markets import save_market, save_tax_class, save_tax_rate
from retail.models import (
    AuditEvent,
    IdempotencyKey,
    Market,
    OutboxMessage,
    PosDevice,
    Store,
    StoreMembership,
    TaxClass,
    TaxRate,
    User,
)
from retail.services import retry_outbox_messages
from retail.spreadsheets import csv_writer

# --- links only to what the reader may open ----------------------------------------------------
# Django's admin links a read-only foreign key to the related object's change page whatever the
# reader's permissions (a merchandiser saw links to staff users' pages that answer 403). Every admin
# view runs with its request at hand (rendered inside, so templates see it too), and those links
# are plain text unless the reader may view the related object.
_admin_request: ContextVar[HttpRequest | None] = ContextVar("admin_request", default=None)
_site_admin_view = admin.site.admin_view


def _admin_view_with_request(view, cacheable=False):
    wrapped = _site_admin_view(view, cacheable)

    @wraps(wrapped)
    def inner(request, *args, **kwargs):
        token = _admin_request.set(request)
        try:
            response = wrapped(request, *args, **kwargs)
            if hasattr(response, "render") and not response.is_rendered:
                response.render()
            return response
        finally:
            _admin_request.reset(token)

    return inner


def current_admin_request() -> HttpRequest | None:
    """The request of the admin view being rendered (None outside one)."""
    return _admin_request.get()


def admin_may_view(model, obj=None) -> bool:
    """Whether the admin's current reader may open `model`'s pages (False outside an admin view)."""
    request = _admin_request.get()
    model_admin = admin.site._registry.get(model)
    return bool(request and model_admin and model_admin.has_view_permission(request, obj))


_readonly_link = helpers.AdminReadonlyField.get_admin_url


def _readonly_link_if_allowed(self, remote_field, remote_obj):
    if not admin_may_view(remote_field.model, remote_obj):
        return str(remote_obj)
    return _readonly_link(self, remote_field, remote_obj)


admin.site.admin_view = _admin_view_with_request
helpers.AdminReadonlyField.get_admin_url = _readonly_link_if_allowed

# Django's yes/no icons say "True"/"False" to screen readers in every language: said in the reader's.
_BOOLEAN_WORDS = {True: gettext_lazy("Yes"), False: gettext_lazy("No"), None: gettext_lazy("Unknown")}


def _boolean_icon_in_words(field_val):
    icon = static(f"admin/img/icon-{ {True: 'yes', False: 'no', None: 'unknown'}[field_val] }.svg")
    return format_html('<img src="{}" alt="{}">', icon, _BOOLEAN_WORDS[field_val])


admin_list._boolean_icon = _boolean_icon_in_words  # admin_list, helpers and utils all read it from there


class ReadOnlyAdmin(admin.ModelAdmin):
    """Ledgers and logs: visible to those allowed to view them, editable by nobody."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class _Echo:
    """A file-like object whose write() hands the line back, for csv.writer in a generator."""

    def write(self, value):
        return value


def streaming_csv_response(
    *, filename: str, header: list[str], rows: Iterable, content_type: str = "text/csv; charset=utf-8"
) -> StreamingHttpResponse:
    """A CSV download written row by row as the iterable yields (pass a queryset's .iterator())."""
    writer = csv_writer(_Echo())

    def lines():
        yield writer.writerow(header)
        for row in rows:
            yield writer.writerow(row)

    response = StreamingHttpResponse(lines(), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


MAX_UPLOAD_BYTES = 50 * 1024 * 1024


class CsvUploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("CSV file"), help_text=gettext_lazy("UTF-8, with a header row."))
    dry_run = forms.BooleanField(required=False, label=gettext_lazy("Only check the file (write nothing)"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 50 MB; import it with the management command."))
        try:
            return upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError(
                _("The file is not UTF-8 text; save it as 'CSV UTF-8' and try again.")
            ) from None


class CsvImportMixin:
    """An "Import CSV" page next to "Add" on the changelist.

    Subclasses set `import_title`, `import_columns` (help shown on the page) and implement
    `run_import(request, text, dry_run, **options)` returning a report with rows, created,
    updated, unchanged and errors ("line N: ..."; optionally `lines`, what each line does), and
    `has_import_permission(request)`. An `import_form` subclass of CsvUploadForm adds options:
    its other fields reach run_import as keyword arguments.
    """

    change_list_template = "admin/csv_import_change_list.html"
    import_form = CsvUploadForm
    import_title = gettext_lazy("Import CSV")
    import_columns = ""
    import_command = ""

    def run_import(self, request, text: str, dry_run: bool):
        raise NotImplementedError

    def has_import_permission(self, request) -> bool:
        raise NotImplementedError

    def _import_url_name(self) -> str:
        return f"{self.opts.app_label}_{self.opts.model_name}_import"

    def get_urls(self):
        view = self.admin_site.admin_view(self.import_view)
        return [path("import/", view, name=self._import_url_name()), *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        extra_context = dict(extra_context or {})
        if self.has_import_permission(request):
            extra_context["import_url"] = reverse(f"admin:{self._import_url_name()}")
            extra_context["import_title"] = self.import_title
        return super().changelist_view(request, extra_context)

    def import_view(self, request):
        if not self.has_import_permission(request):
            raise PermissionDenied
        report, dry_run = None, False
        form = self.import_form(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            options = {k: v for k, v in form.cleaned_data.items() if k not in ("file", "dry_run")}
            dry_run = form.cleaned_data["dry_run"]
            report = self.run_import(request, form.cleaned_data["file"], dry_run, **options)
            if not report.errors:
                if dry_run and getattr(report, "lines", None):  # an importer whose check plans each line
                    summary = ngettext(
                        "Checked %(rows)s row: %(created)s would be created, %(updated)s updated, %(unchanged)s "
                        "left unchanged. Nothing was written.",
                        "Checked %(rows)s rows: %(created)s would be created, %(updated)s updated, %(unchanged)s "
                        "left unchanged. Nothing was written.",
                        report.rows,
                    )
                elif dry_run:
                    summary = ngettext(
                        "Checked %(rows)s row: no problems found. Nothing was written.",
                        "Checked %(rows)s rows: no problems found. Nothing was written.",
                        report.rows,
                    )
                else:
                    summary = ngettext(
                        "Imported %(rows)s row: %(created)s created, %(updated)s updated, %(unchanged)s unchanged.",
                        "Imported %(rows)s rows: %(created)s created, %(updated)s updated, %(unchanged)s unchanged.",
                        report.rows,
                    )
                summary %= {
                    "rows": report.rows,
                    "created": report.created,
                    "updated": report.updated,
                    "unchanged": report.unchanged,
                }
                self.message_user(request, summary, messages.SUCCESS)
                if dry_run:  # the file checked clean: the form's next upload imports it
                    form = self.import_form(initial=options)
                else:
                    changelist = f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist"
                    return HttpResponseRedirect(reverse(changelist))
        context = {
            **self.admin_site.each_context(request),
            "title": self.import_title,
            "opts": self.opts,
            "form": form,
            "report": report,
            "dry_run": dry_run,
            "columns": self.import_columns,
            "command": self.import_command,
            "has_view_permission": self.has_view_permission(request),
        }
        return TemplateResponse(request, "admin/csv_import.html", context)


class MembershipInline(admin.TabularInline):
    model = StoreMembership
    extra = 0
    autocomplete_fields = ["store"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "is_staff", "is_superuser", "is_active", "date_joined"]
    list_filter = ["is_staff", "is_superuser", "is_active", "groups"]
    search_fields = ["email", "full_name"]
    readonly_fields = ["last_login", "date_joined"]
    inlines = [MembershipInline]
    fieldsets = [
        (None, {"fields": ["email", "password", "full_name"]}),
        (gettext_lazy("Access"), {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        (gettext_lazy("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "full_name", "password1", "password2"]})]
    filter_horizontal = ["groups", "user_permissions"]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)  # memberships are saved by now
        user = form.instance
        is_staff_account = user.is_staff or user.is_superuser or user.memberships.exists()
        if is_staff_account and (not change or "email" in form.changed_data):
            # Head office typed this staff email: it signs in without a code. A shopper's account
            # keeps its own proof (a verified email links a login to a shopper's profile).
            services.record_verified_email(user=user)


def online_channel_choices() -> list[tuple[str, str]]:
    return [(channel.value, channel.label) for channel in Channel if channel.online]


class MarketForm(forms.ModelForm):
    online_channels = forms.MultipleChoiceField(
        choices=online_channel_choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=gettext_lazy("Online channels"),
        help_text=gettext_lazy(
            "The online channels that sell in this market (a store belongs to the market it is in)."
        ),
    )

    class Meta:
        model = Market
        fields = ["code", "name", "is_active", "is_home", "countries", "currency", "default_language", "languages",
                  "online_channels", "prices_include_tax"]  # fmt: skip


@admin.register(Market)
class MarketAdmin(admin.ModelAdmin):
    form = MarketForm
    list_display = ["code", "name", "currency", "countries_list", "default_language", "prices_include_tax",
                    "is_home", "is_active"]  # fmt: skip
    list_filter = ["currency", "prices_include_tax", "is_active"]
    search_fields = ["code", "name", "currency"]
    fieldsets = [
        (None, {"fields": ["code", "name", "is_active", "is_home"]}),
        (
            gettext_lazy("Where and how"),
            {"fields": ["countries", "currency", "default_language", "languages", "online_channels"]},
        ),
        (gettext_lazy("Tax"), {"fields": ["prices_include_tax"]}),
    ]

    @admin.display(description=gettext_lazy("countries"))
    def countries_list(self, obj: Market) -> str:
        return ", ".join(obj.countries)

    def get_actions(self, request, action_location=ActionLocation.CHANGE_LIST):
        actions = super().get_actions(request, action_location=action_location)
        actions.pop("delete_selected", None)  # one at a time: audited, and never the home market
        return actions

    def has_delete_permission(self, request, obj=None):
        # Stores hold their market (protected); the home market always stays.
        return super().has_delete_permission(request, obj) and not (obj and obj.is_home)

    def save_model(self, request, obj, form, change):
        save_market(market=obj, actor=request.user, changed=list(form.changed_data))

    def delete_model(self, request, obj):
        services.record_audit_event(actor=request.user, action="market.deleted", obj=obj, details={"code": obj.code})
        super().delete_model(request, obj)


@admin.register(TaxClass)
class TaxClassAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]

    def get_readonly_fields(self, request, obj=None):
        return ["code"] if obj else []  # products name their class by its code

    def save_model(self, request, obj, form, change):
        save_tax_class(tax_class=obj, actor=request.user, changed=list(form.changed_data))

    def delete_model(self, request, obj):
        services.record_audit_event(actor=request.user, action="tax_class.deleted", obj=obj, details={"code": obj.code})
        super().delete_model(request, obj)

    def get_actions(self, request, action_location=ActionLocation.CHANGE_LIST):
        actions = super().get_actions(request, action_location=action_location)
        actions.pop("delete_selected", None)  # one at a time, audited
        return actions


@admin.register(TaxRate)
class TaxRateAdmin(admin.ModelAdmin):
    list_display = ["market", "tax_class", "rate", "valid_from", "valid_to"]
    list_filter = ["market", "tax_class"]
    list_select_related = ["market", "tax_class"]
    search_fields = ["market__code", "market__name", "tax_class__code", "tax_class__name"]
    date_hierarchy = "valid_from"

    def save_model(self, request, obj, form, change):
        save_tax_rate(rate=obj, actor=request.user, changed=list(form.changed_data))

    def delete_model(self, request, obj):
        details = {"market": obj.market.code, "class": obj.tax_class.code, "rate": str(obj.rate)}
        services.record_audit_event(actor=request.user, action="tax_rate.deleted", obj=obj, details=details)
        super().delete_model(request, obj)

    def get_actions(self, request, action_location=ActionLocation.CHANGE_LIST):
        actions = super().get_actions(request, action_location=action_location)
        actions.pop("delete_selected", None)  # one at a time, audited
        return actions


@admin.register(Store)
class StoreAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "kind",
        "market",
        "city",
        "pickup_enabled",
        "accepts_returns",
        "ships_orders",
        "is_active",
    ]
    list_filter = ["kind", "market", "pickup_enabled", "accepts_returns", "ships_orders", "is_active", "city"]
    list_select_related = ["market"]
    search_fields = ["code", "name", "city", "postcode"]
    fieldsets = [
        (None, {"fields": ["code", "name", "kind", "market", "is_active"]}),
        (
            gettext_lazy("Address"),
            {
                "fields": [
                    "address_line",
                    "city",
                    "postcode",
                    "country",
                    "phone",
                    "latitude",
                    "longitude",
                    "time_zone",
                    "opening_hours",
                ]
            },
        ),
        (
            gettext_lazy("Services"),
            {"fields": ["pickup_enabled", "pickup_hold_days", "picking_minutes", "accepts_returns", "ships_orders"]},
        ),
        (
            gettext_lazy("Cycle counts"),
            {
                "fields": ["count_approval_units", "count_approval_value"],
                "description": gettext_lazy(
                    "A count beyond either limit waits for a manager's approval before it posts."
                ),
            },
        ),
    ]


@admin.register(StoreMembership)
class StoreMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "store", "role", "created_at"]
    list_filter = ["role", "store"]
    list_select_related = ["user", "store"]
    search_fields = ["user__email", "user__full_name", "store__code", "store__name"]
    autocomplete_fields = ["user", "store"]


@admin.register(PosDevice)
class PosDeviceAdmin(admin.ModelAdmin):
    list_display = ["name", "store", "token_prefix", "is_active", "created_at", "last_seen_at"]
    list_filter = ["is_active", "store"]
    list_select_related = ["store"]
    search_fields = ["name", "store__code", "token_prefix"]
    autocomplete_fields = ["store"]
    readonly_fields = ["token_prefix", "created_at", "last_seen_at"]
    actions = ["rotate_token"]

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        device, token = services.issue_pos_device(store=obj.store, name=obj.name, actor=request.user)
        obj.pk = device.pk
        messages.warning(
            request,
            format_html(_("Token for {} (shown once, copy it to the till now): <code>{}</code>"), device, token),
        )

    @admin.action(description=gettext_lazy("Issue a new token (the old one stops working)"))
    def rotate_token(self, request, queryset):
        for device in queryset:
            token = services.rotate_pos_device_token(device=device, actor=request.user)
            messages.warning(request, format_html(_("New token for {} (shown once): <code>{}</code>"), device, token))


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["occurred_at", "actor_label", "action", "object_type", "object_id", "store"]
    list_filter = ["action", "store", "object_type"]
    list_select_related = ["store"]
    search_fields = ["actor_label", "action", "object_id"]
    date_hierarchy = "occurred_at"


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    list_display = ["id", "topic", "status", "attempts", "created_at", "available_at", "delivered_at"]
    list_filter = ["status", "topic"]
    search_fields = ["id", "topic"]
    actions = ["retry_now"]

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm("retail.change_outboxmessage")

    @admin.action(description=gettext_lazy("Retry failed messages now"), permissions=["change"])
    def retry_now(self, request, queryset):

        count = retry_outbox_messages(message_ids=list(queryset.values_list("id", flat=True)), actor=request.user)
        messages.success(
            request,
            ngettext("%(count)s message queued again.", "%(count)s messages queued again.", count) % {"count": count},
        )


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(ReadOnlyAdmin):
    list_display = ["key", "scope", "method", "path", "status", "response_status", "created_at", "expires_at"]
    list_filter = ["status", "method"]
    search_fields = ["key", "scope"]


from retail import admin_rates  # noqa: E402, F401 — head office's exchange rates (registers its admin)
