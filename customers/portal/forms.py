from datetime import date

from django import forms
from django.utils import timezone, translation
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from customers.models import Task


class DateInput(forms.DateInput):
    """The browser's date picker: its value must be ISO (2026-12-03), whatever the locale's date format,
    or the picker shows blank and the associate must pick the day again."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class NoteForm(forms.Form):
    body = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": _("What should the next colleague know?")}),
        label=_("New note"),
    )
    pinned = forms.BooleanField(required=False, label=_("Pin to the top"))


class TaskForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Task.Kind.choices)
    channel = forms.ChoiceField(
        label=_("Channel"),
        choices=[("", "—"), ("email", _("Email")), ("sms", _("SMS")), ("push", _("Push"))],
        required=False,
        help_text=_("For messages."),
    )
    title = forms.CharField(
        max_length=200,
        label=_("What"),
        widget=forms.TextInput(attrs={"placeholder": _("e.g. Call about the new boots")}),
    )
    due_on = forms.DateField(label=_("Due"), widget=DateInput())

    def __init__(self, *args, today: date | None = None, **kwargs):
        """`today` is the store's date: the due date starts there and may not be before it."""
        super().__init__(*args, **kwargs)
        self.today = today or timezone.localdate()
        self.fields["due_on"].initial = self.today

    def clean_due_on(self):
        due = self.cleaned_data["due_on"]
        if due < self.today:
            raise forms.ValidationError(_("Pick today or a later day."))
        return due


class NewCustomerForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=80)
    last_name = forms.CharField(label=_("Last name"), max_length=80)
    phone = forms.CharField(
        label=_("Phone"), max_length=32, required=False, widget=forms.TextInput(attrs={"type": "tel"})
    )
    email = forms.EmailField(label=_("Email"), required=False)
    birthday = forms.DateField(label=_("Birthday"), required=False, widget=DateInput())
    consent_email = forms.BooleanField(required=False, label=_("Agrees to marketing emails"))
    consent_sms = forms.BooleanField(required=False, label=_("Agrees to marketing texts"))
    lookalike_ok = forms.BooleanField(
        required=False, label=_("The email is right as typed (look-alike domain checked)")
    )

    def clean(self):
        data = super().clean()
        if not data.get("phone") and not data.get("email"):
            raise forms.ValidationError(_("Give a phone number or an email, so the shopper can be found again."))
        return data


_BLANK_WIDGETS: dict[tuple, dict[str, SafeString]] = {}


def field_widgets(form: forms.Form) -> dict[str, SafeString]:
    """{name: the field's widget as HTML}. An unbound form's widgets are rendered once per form
    class, initial values and language, then reused: the clienteling screen shows the note and task
    forms on every load, and Django renders each widget (and each option) through templates, ~8,000
    Python calls a screen. Fit for forms whose fields differ between instances only by initial values."""
    if form.is_bound:
        return {name: SafeString(str(form[name])) for name in form.fields}
    initial = tuple((name, repr(form.get_initial_for_field(field, name))) for name, field in form.fields.items())
    key = (type(form), form.prefix, form.auto_id, translation.get_language(), initial)
    widgets = _BLANK_WIDGETS.get(key)
    if widgets is None:
        if len(_BLANK_WIDGETS) > 256:  # a task's due day is part of the key: keep a few days' worth
            _BLANK_WIDGETS.clear()
        widgets = _BLANK_WIDGETS[key] = {name: SafeString(str(form[name])) for name in form.fields}
    return widgets
