"""Markets (issue 19): a country or group of countries the chain sells in, with its currency, its
languages and whether its prices include tax. Every store belongs to one market; the online
channels that sell in a market are listed on it (a channel is kernel data, not a row, and the web
shop may sell in several markets). One market is head office's home: its currency is the one
reports convert into, and a store made without a market joins it."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from phonenumbers import SUPPORTED_REGIONS

from retail.domain.channel import CHANNEL_LENGTH, Channel, channel_choices

currency_code_validator = RegexValidator(r"^[A-Z]{3}\Z", "A currency is its ISO 4217 code in capitals, e.g. PLN.")
country_code_validator = RegexValidator(r"^[A-Z]{2}\Z", "A country is its ISO 3166-1 code in capitals, e.g. PL.")


# ISO 3166-1 alpha-2, the 249 assigned codes. No country list is a dependency (no django-countries,
# pycountry or Babel); phonenumbers' regions are the countries with telephone plans: without its
# non-countries (Ascension and Tristan da Cunha, reserved in ISO 3166-1; Kosovo, user-assigned XK)
# and with the seven assigned codes that have no telephone plan of their own.
COUNTRY_CODES = frozenset(SUPPORTED_REGIONS - {"AC", "TA", "XK"} | {"AQ", "BV", "GS", "HM", "PN", "TF", "UM"})


def language_codes() -> dict[str, str]:
    return dict(settings.LANGUAGES)


class Market(models.Model):
    code = models.SlugField(
        max_length=20, unique=True, help_text=_("Short code, e.g. pl, it, uk."), verbose_name=_("code")
    )
    name = models.CharField(max_length=80, verbose_name=_("name"))
    countries = ArrayField(
        models.CharField(max_length=2, validators=[country_code_validator]),
        default=list,
        blank=True,
        help_text=_("ISO 3166-1 codes, comma separated (PL or IT,SM,VA); a country is in one market at most."),
        verbose_name=_("countries"),
    )
    currency = models.CharField(
        max_length=3,
        validators=[currency_code_validator],
        help_text=_("ISO 4217, e.g. PLN."),
        verbose_name=_("currency"),
    )
    default_language = models.CharField(
        max_length=8,
        help_text=_("What shoppers and stores read unless they choose."),
        verbose_name=_("default language"),
    )
    languages = ArrayField(
        models.CharField(max_length=8),
        default=list,
        blank=True,
        help_text=_("Language codes offered in the market, comma separated; the default is always one of them."),
        verbose_name=_("languages"),
    )
    prices_include_tax = models.BooleanField(
        default=True,
        help_text=_("Prices are tax-inclusive (shoppers in Europe); else tax is added at checkout."),
        verbose_name=_("prices include tax"),
    )
    online_channels = ArrayField(
        models.CharField(max_length=CHANNEL_LENGTH, choices=channel_choices),
        default=list,
        blank=True,
        help_text=_("The online channels (app, web, kiosk...) that sell in this market."),
        verbose_name=_("online channels"),
    )
    is_home = models.BooleanField(
        _("home market"),
        default=False,
        help_text=_("Head office's market: reports convert into its currency; a store made without a market joins it."),
    )
    is_active = models.BooleanField(default=True, verbose_name=_("active"))

    class Meta:
        verbose_name = _("market")
        verbose_name_plural = _("markets")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["is_home"], condition=Q(is_home=True), name="market_one_home"),
            models.CheckConstraint(condition=Q(currency__regex=r"^[A-Z]{3}$"), name="market_currency_iso"),
        ]

    def __str__(self):
        return f"{self.name} ({self.currency})"

    def get_constraints(self):
        # Making a market home retires the home before it (save_market): no error to show in a form.
        return [
            (model, [c for c in constraints if c.name != "market_one_home"])
            for model, constraints in super().get_constraints()
        ]

    def clean_fields(self, exclude=None):
        # Written as people type them ("pl, it"): each once, in capitals, before the fields are checked.
        self.countries = sorted({c.strip().upper() for c in self.countries or [] if c.strip()})
        self.currency = (self.currency or "").strip().upper()
        languages = [self.default_language, *(self.languages or [])]
        self.languages = list(dict.fromkeys(code.strip().lower() for code in languages))
        self.default_language = self.languages[0]
        super().clean_fields(exclude=exclude)

    def clean(self):
        super().clean()
        strangers = [code for code in self.countries if code not in COUNTRY_CODES]
        if strangers:
            message = f"Not an ISO 3166-1 country code: {', '.join(strangers)}; e.g. PL, IT, GB."
            raise ValidationError({"countries": message})
        known = language_codes()
        unknown = [code for code in self.languages if code not in known]
        if unknown:
            raise ValidationError({"languages": f"Unknown language code(s): {', '.join(unknown)}; e.g. it, pl, en-gb."})
        offline = [value for value in self.online_channels if not getattr(Channel.read(value), "online", False)]
        if offline:
            message = f"{', '.join(offline)}: not an online channel (a store belongs to its market by itself)."
            raise ValidationError({"online_channels": message})
        self.online_channels = list(dict.fromkeys(self.online_channels))
        if not self.is_home and self.pk and Market.objects.filter(pk=self.pk, is_home=True).exists():
            raise ValidationError({"is_home": "There is always a home market: make another market home instead."})
        others = Market.objects.exclude(pk=self.pk) if self.pk else Market.objects.all()
        taken = others.filter(countries__overlap=self.countries).values_list("code", "countries")
        clashes = [f"{c} (in {code})" for code, countries in taken for c in countries if c in self.countries]
        if clashes:
            raise ValidationError({"countries": f"Already in another market: {', '.join(clashes)}."})


def home_market_defaults() -> dict:
    """The home market made from settings when there is none (a fresh database, the first store)."""
    language = settings.LANGUAGE_CODE
    return {
        "code": "home",
        "name": "Home market",
        "currency": (settings.CURRENCY or "EUR").upper(),
        "default_language": language,
        "languages": [language],
        "prices_include_tax": True,
        "online_channels": Channel.online_values(),
    }


def home_market_id() -> int:
    """Store.market's default: the home market's id, made from settings if the database has none."""
    market_id = Market.objects.filter(is_home=True).values_list("pk", flat=True).first()
    if market_id is None:
        defaults = home_market_defaults()
        code = defaults.pop("code")
        market_id = Market.objects.get_or_create(code=code, defaults={**defaults, "is_home": True})[0].pk
    return market_id
