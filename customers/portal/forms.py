from django import forms
from django.utils import timezone

from customers.models import Task


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
    due_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), initial=timezone.localdate)

    def clean_due_on(self):
        due = self.cleaned_data["due_on"]
        if due < timezone.localdate():
            raise forms.ValidationError("Pick today or a later day.")
        return due
