from datetime import date

from django import forms
from django.utils import timezone

from customers.models import Task


class DateInput(forms.DateInput):
    """The browser's date picker: its value must be ISO (2026-12-03), whatever the locale's date format,
    or the picker shows blank and the associate must pick the day again."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class NoteForm(forms.Form):
    body = forms.CharField(
        max_length=2000, widget=forms.Textarea(attrs={"rows": 2, "placeholder": "What should the next colleague know?"})
    )
    pinned = forms.BooleanField(required=False, label="Pin to the top")


class TaskForm(forms.Form):
    kind = forms.ChoiceField(choices=Task.Kind.choices)
    channel = forms.ChoiceField(
        choices=[("", "—"), ("email", "Email"), ("sms", "SMS"), ("push", "Push")],
        required=False,
        help_text="For messages.",
    )
    title = forms.CharField(
        max_length=200, widget=forms.TextInput(attrs={"placeholder": "e.g. Call about the new boots"})
    )
    due_on = forms.DateField(widget=DateInput())

    def __init__(self, *args, today: date | None = None, **kwargs):
        """`today` is the store's date: the due date starts there and may not be before it."""
        super().__init__(*args, **kwargs)
        self.today = today or timezone.localdate()
        self.fields["due_on"].initial = self.today

    def clean_due_on(self):
        due = self.cleaned_data["due_on"]
        if due < self.today:
            raise forms.ValidationError("Pick today or a later day.")
        return due


class NewCustomerForm(forms.Form):
    first_name = forms.CharField(max_length=80)
    last_name = forms.CharField(max_length=80)
    phone = forms.CharField(max_length=32, required=False, widget=forms.TextInput(attrs={"type": "tel"}))
    email = forms.EmailField(required=False)
    birthday = forms.DateField(required=False, widget=DateInput())
    consent_email = forms.BooleanField(required=False, label="Agrees to marketing emails")
    consent_sms = forms.BooleanField(required=False, label="Agrees to marketing texts")
    lookalike_ok = forms.BooleanField(required=False, label="The email is right as typed (look-alike domain checked)")

    def clean(self):
        data = super().clean()
        if not data.get("phone") and not data.get("email"):
            raise forms.ValidationError("Give a phone number or an email, so the shopper can be found again.")
        return data
