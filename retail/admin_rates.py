"""Head office's exchange rates in the admin (issue 19.2): saved and deleted through the services
(audited); the reporting currency is the home market's, filled in, never typed."""

from django import forms
from django.contrib import admin
from django.contrib.admin.options import ActionLocation
from django.utils.translation import gettext as _

from retail.exchange_rates import (
    delete_exchange_rate,
    overlap_message,
    overlapping_rate,
    prepare_exchange_rate,
    reporting_currency,
    save_exchange_rate,
)
from retail.models import ExchangeRate


class ExchangeRateForm(forms.ModelForm):
    class Meta:
        model = ExchangeRate
        fields = ["currency", "rate", "valid_from", "valid_to", "source"]

    def validate_constraints(self):
        # As the service will save it: a new rate ends the open one before it, so that one's days
        # are no overlap (the model's exclusion check would refuse what saving then does).
        if any(name in self.errors for name in ("currency", "valid_from", "valid_to")):
            return
        ending = prepare_exchange_rate(self.instance)
        other = overlapping_rate(self.instance, ignore=ending)
        if other is not None:
            self.add_error("valid_from", overlap_message(other))
            return
        if ending is None:
            super().validate_constraints()


@admin.register(ExchangeRate)
class ExchangeRateAdmin(admin.ModelAdmin):
    form = ExchangeRateForm
    list_display = ["currency", "reporting_currency", "rate", "valid_from", "valid_to", "source"]
    list_filter = ["currency", "reporting_currency"]
    search_fields = ["currency", "source"]
    date_hierarchy = "valid_from"
    readonly_fields = ["reporting_currency"]

    def get_fields(self, request, obj=None):
        return ["currency", "reporting_currency", "rate", "valid_from", "valid_to", "source"] if obj else [
            "currency", "rate", "valid_from", "valid_to", "source"
        ]  # fmt: skip

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is None and "rate" in form.base_fields:
            form.base_fields["rate"].help_text = _(
                "How much one unit of the currency is worth in %(currency)s (the home market's currency), "
                "e.g. 0.2315. A new rate ends the open one before it."
            ) % {"currency": reporting_currency()}
        return form

    def save_model(self, request, obj, form, change):
        save_exchange_rate(rate=obj, actor=request.user, changed=list(form.changed_data))

    def delete_model(self, request, obj):
        delete_exchange_rate(rate=obj, actor=request.user)

    def get_actions(self, request, action_location=ActionLocation.CHANGE_LIST):
        actions = super().get_actions(request, action_location=action_location)
        actions.pop("delete_selected", None)  # one at a time, audited
        return actions
