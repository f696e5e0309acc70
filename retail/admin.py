from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.html import format_html

from retail import services
from retail.models import AuditEvent, IdempotencyKey, OutboxMessage, PosDevice, Store, StoreMembership, User


class ReadOnlyAdmin(admin.ModelAdmin):
    """Ledgers and logs: visible to those allowed to view them, editable by nobody."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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
        ("Access", {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "full_name", "password1", "password2"]})]
    filter_horizontal = ["groups", "user_permissions"]


@admin.register(Store)
class StoreAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "kind",
        "city",
        "pickup_enabled",
        "accepts_returns",
        "ships_orders",
        "is_active",
    ]
    list_filter = ["kind", "pickup_enabled", "accepts_returns", "ships_orders", "is_active", "city"]
    search_fields = ["code", "name", "city", "postcode"]
    fieldsets = [
        (None, {"fields": ["code", "name", "kind", "is_active"]}),
        (
            "Address",
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
        ("Services", {"fields": ["pickup_enabled", "pickup_hold_days", "accepts_returns", "ships_orders"]}),
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
            format_html("Token for {} (shown once, copy it to the till now): <code>{}</code>", device, token),
        )

    @admin.action(description="Issue a new token (the old one stops working)")
    def rotate_token(self, request, queryset):
        for device in queryset:
            token = services.rotate_pos_device_token(device=device, actor=request.user)
            messages.warning(request, format_html("New token for {} (shown once): <code>{}</code>", device, token))


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

    @admin.action(description="Retry failed messages now", permissions=["change"])
    def retry_now(self, request, queryset):
        from retail.services import retry_outbox_messages

        count = retry_outbox_messages(message_ids=list(queryset.values_list("id", flat=True)), actor=request.user)
        messages.success(request, f"{count} message(s) queued again.")


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(ReadOnlyAdmin):
    list_display = ["key", "scope", "method", "path", "status", "response_status", "created_at", "expires_at"]
    list_filter = ["status", "method"]
    search_fields = ["key", "scope"]
