from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class LanguageForm(forms.Form):
    """The portal user's language; the empty choice follows their store's market."""

    language = forms.ChoiceField(label=_("Language"), required=False)

    def __init__(self, *args, store_default: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        names = dict(settings.LANGUAGES)
        default = names.get(store_default, store_default)
        # Each language in its own name (a reader lost in a foreign portal finds theirs).
        self.fields["language"].choices = [("", _("As the store (%(language)s)") % {"language": default})] + [
            (code, name) for code, name in settings.LANGUAGES
        ]
