"""Head office: webhook subscriptions (secret shown once, pause/resume, replay since) and the delivery log."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from retail.admin import ReadOnlyAdmin
from retail.errors import DomainError
from webhooks import services
from webhooks.destinations import check_url
from webhooks.errors import WebhookError
from webhooks.events import EVENT_TYPE_CHOICES
from webhooks.models import Delivery, DeliveryAttempt, Event, IntegrationToken, Subscription
from webhooks.tokens import issue_integration_token, revoke_integration_token


class SubscriptionForm(forms.ModelForm):
    event_types = forms.MultipleChoiceField(
        choices=EVENT_TYPE_CHOICES, widget=forms.CheckboxSelectMultiple, label=gettext_lazy("Event types")
    )

    class Meta:
        model = Subscription
        fields = ["name", "url", "event_types"]

    def clean_url(self):
        url = self.cleaned_data["url"]
        try:
            check_url(url, must_resolve=False)
        except WebhookError as exc:
            raise forms.ValidationError(exc.message, code=exc.code.value) from None
        return url


class ReplayForm(ActionForm):
    since = forms.DateTimeField(
        required=False,
        label=gettext_lazy("Since"),
        help_text=gettext_lazy("For “Replay since”: every event from this time (YYYY-MM-DD HH:MM, UTC)."),
    )


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    form = SubscriptionForm
    action_form = ReplayForm
    list_display = ["name", "url", "status", "consecutive_failures", "said_reason", "last_success_at"]
    list_filter = ["status"]
    search_fields = ["name", "url"]
    readonly_fields = ["status", "said_reason", "paused_at", "secret_hint", "consecutive_failures",
                       "last_success_at", "last_failure_at", "created_at", "created_by"]  # fmt: skip
    actions = ["pause", "resume", "rotate", "replay"]

    @admin.display(description=gettext_lazy("paused reason"))
    def said_reason(self, obj) -> str:
        return obj.said_reason  # the breaker's sentence in the reader's language, or the words given

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data  # the form checked the URL; the service checks everything again
        try:
            if change:
                services.update_subscription(
                    subscription=obj, actor=request.user, name=data["name"], url=data["url"],
                    event_types=data["event_types"],
                )  # fmt: skip
            else:
                created, secret = services.create_subscription(
                    name=data["name"], url=data["url"], event_types=data["event_types"], actor=request.user
                )
                obj.pk = created.pk
                messages.warning(
                    request,
                    format_html(_("Signing secret for {} (shown once, copy it now): <code>{}</code>"), created, secret),
                )
        except DomainError as exc:
            messages.error(request, exc.message)
            raise

    def delete_model(self, request, obj):
        services.delete_subscription(subscription=obj, actor=request.user)

    @admin.action(description=gettext_lazy("Pause delivery"), permissions=["change"])
    def pause(self, request, queryset):
        for subscription in queryset:
            services.pause_subscription(subscription=subscription, reason=f"Paused by {request.user}.",
                                        actor=request.user)  # fmt: skip
        messages.success(request, _("%(queryset)s subscription(s) paused.") % {"queryset": len(queryset)})

    @admin.action(
        description=gettext_lazy("Resume delivery (sends what queued meanwhile, in order)"), permissions=["change"]
    )
    def resume(self, request, queryset):
        for subscription in queryset:
            services.resume_subscription(subscription=subscription, actor=request.user)
        messages.success(request, _("%(queryset)s subscription(s) resumed.") % {"queryset": len(queryset)})

    @admin.action(description=gettext_lazy("Rotate the signing secret (shown once)"), permissions=["change"])
    def rotate(self, request, queryset):
        for subscription in queryset:
            secret = services.rotate_secret(subscription=subscription, actor=request.user)
            messages.warning(request, format_html(_("New secret for {} (shown once): <code>{}</code>"), subscription,
                                                  secret))  # fmt: skip

    @admin.action(description=gettext_lazy("Replay since the time given below"), permissions=["change"])
    def replay(self, request, queryset):
        try:
            since = ReplayForm.base_fields["since"].clean(request.POST.get("since", ""))
        except forms.ValidationError:
            since = None
        if since is None:
            messages.error(request, _("Give the time to replay from (YYYY-MM-DD HH:MM)."))
            return
        for subscription in queryset:
            count = services.replay_since(subscription=subscription, since=since,
                                          actor=request.user)  # fmt: skip
            messages.success(
                request,
                _("%(subscription)s: %(count)s event(s) queued again, oldest first.")
                % {"subscription": subscription, "count": count},
            )


class DeliveryAttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    fields = ["number", "attempted_at", "succeeded", "response_status", "latency_ms", "response_excerpt", "error"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ["id", "subscription", "event_type", "event", "status", "attempts", "response_status",
                    "latency_ms", "response_excerpt", "last_attempt_at"]  # fmt: skip
    list_filter = ["status", "subscription", "event__type"]
    list_select_related = ["subscription", "event"]
    search_fields = ["event__uid"]
    date_hierarchy = "created_at"
    inlines = [DeliveryAttemptInline]
    actions = ["redeliver"]

    @admin.display(description=gettext_lazy("event type"), ordering="event__type")
    def event_type(self, obj):
        return obj.event.type

    def has_change_permission(self, request, obj=None):
        return obj is None and request.user.has_perm("webhooks.change_delivery")

    @admin.action(description=gettext_lazy("Redeliver"), permissions=["change"])
    def redeliver(self, request, queryset):
        count = services.redeliver(delivery_ids=list(queryset.values_list("pk", flat=True)), actor=request.user)
        messages.success(
            request,
            ngettext("%(count)s delivery queued again.", "%(count)s deliveries queued again.", count)
            % {"count": count},
        )


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ["id", "type", "version", "occurred_at", "key", "sealed", "changes"]
    list_filter = ["type", "sealed"]
    search_fields = ["uid", "key"]
    date_hierarchy = "occurred_at"


class IntegrationTokenForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        choices=IntegrationToken.Scope.choices, widget=forms.CheckboxSelectMultiple, label=gettext_lazy("Scopes")
    )

    class Meta:
        model = IntegrationToken
        fields = ["name", "user", "scopes"]

    def clean_user(self):
        user = self.cleaned_data["user"]
        if not (user.is_active and user.is_staff):
            raise forms.ValidationError(_("Only active staff hold integration tokens."))
        return user


@admin.register(IntegrationToken)
class IntegrationTokenAdmin(admin.ModelAdmin):
    """Staff API tokens for integrations (the change feed, webhook subscriptions); shown once."""

    form = IntegrationTokenForm
    list_display = ["name", "user", "scopes", "token_prefix", "created_at", "last_used_at", "revoked_at"]
    list_select_related = ["user"]
    list_filter = ["revoked_at"]
    search_fields = ["name", "token_prefix", "user__email"]
    autocomplete_fields = ["user"]
    actions = ["revoke"]

    def get_readonly_fields(self, request, obj=None):
        return ["name", "user", "scopes", "token_prefix", "created_at", "last_used_at", "revoked_at"] if obj else []

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead: the audit trail keeps naming it

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        token, raw = issue_integration_token(user=data["user"], name=data["name"], scopes=data["scopes"],
                                             actor=request.user)  # fmt: skip
        obj.pk = token.pk
        messages.warning(request, format_html(_("Token for {} (shown once, copy it now): <code>{}</code>"), token, raw))

    @admin.action(description=gettext_lazy("Revoke"), permissions=["change"])
    def revoke(self, request, queryset):
        for token in queryset:
            revoke_integration_token(token=token, actor=request.user)
        messages.success(
            request,
            ngettext("%(count)s token revoked.", "%(count)s tokens revoked.", len(queryset)) % {"count": len(queryset)},
        )
