"""How identities are written down, so that the same person always gives the same key."""

import unicodedata

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from retail.domain.codes import read_code


def default_region() -> str:
    return getattr(settings, "PHONE_REGION", "GB")


def normalise_email(value: str) -> str:
    email = (value or "").strip().lower()
    if email:
        validate_email(email)
    return email


# Mail domains shoppers use most; a domain that *looks* like one of them but is not is flagged to staff.
WELL_KNOWN_DOMAINS = (
    "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "hotmail.co.uk", "hotmail.fr", "live.com",
    "live.co.uk", "msn.com", "yahoo.com", "yahoo.co.uk", "yahoo.fr", "icloud.com", "me.com", "mac.com", "aol.com",
    "proton.me", "protonmail.com", "gmx.com", "gmx.de", "gmx.net", "web.de", "btinternet.com", "sky.com",
    "orange.fr", "free.fr", "laposte.net", "libero.it", "ziggo.nl", "telenet.be",
)  # fmt: skip
# Letters that look alike (Cyrillic and Greek homoglyphs, digits for letters, letter pairs for one).
_LOOKALIKE_CHARS = str.maketrans(
    # Cyrillic a e o p c y x i j d s, Latin script g, Greek o a e i v t k, Cyrillic m h b t r, script l (look-alikes)
    "\u0430\u0435\u043e\u0440\u0441\u0443\u0445\u0456\u0458\u0501\u0455\u0261"
    "\u03bf\u03b1\u03b5\u03b9\u03bd\u03c4\u03ba\u043c\u043d\u0432\u0442\u0433\u2113"
    "0135|",
    "aeopcyxijdsgoaeivtkmhbtrlolesl",
)
_LOOKALIKE_PAIRS = (("rn", "m"), ("vv", "w"), ("cl", "d"))


def _skeleton(domain: str) -> str:

    text = unicodedata.normalize("NFKC", domain).casefold().translate(_LOOKALIKE_CHARS)
    for pair, letter in _LOOKALIKE_PAIRS:
        text = text.replace(pair, letter)
    return text


_KNOWN_SKELETONS = {_skeleton(d): d for d in WELL_KNOWN_DOMAINS}


def lookalike_domain(email: str) -> str | None:
    """The well-known mail domain `email`'s domain imitates (gmail.com with a Cyrillic a, rnsn.com,
    g00glemail.com), or None when it is that domain or resembles none. For warning staff."""
    domain = (email or "").rpartition("@")[2].strip().lower()
    if "xn--" in domain:  # an internationalised domain written in punycode: compare what it shows
        try:
            domain = domain.encode("ascii").decode("idna")
        except UnicodeError:
            return None
    if not domain or domain in WELL_KNOWN_DOMAINS:
        return None
    return _KNOWN_SKELETONS.get(_skeleton(domain))


def normalise_phone(value: str, *, region: str | None = None) -> str:
    """E.164 (`+447700900123`) from any way of writing it; ValidationError if it is no number."""
    raw = (value or "").strip()
    if not raw:
        return ""
    try:
        number = phonenumbers.parse(raw, region or default_region())
    except phonenumbers.NumberParseException:
        raise ValidationError(
            _("Enter a phone number, e.g. 07700 900123 or +44 7700 900123."), code="invalid_phone"
        ) from None
    if not phonenumbers.is_possible_number(number):
        raise ValidationError(_("That phone number has the wrong number of digits."), code="invalid_phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_card(value: str) -> str:
    return read_code(value).card


def normalise_identity(kind: str, value: str) -> str:
    """The stored form of an identity value of `kind` (raises ValidationError when unusable)."""
    if kind == "email":
        return normalise_email(value)
    if kind == "phone":
        return normalise_phone(value)
    if kind == "card":
        return normalise_card(value)
    return (value or "").strip()[:255]


def format_phone(e164: str, *, region: str | None = None) -> str:
    """For display: national format in `region` (the reader's store's country; else settings.PHONE_REGION),
    international otherwise: a Milan associate dials a British number from +44, and reads 347 000 0558."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    fmt = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if phonenumbers.region_code_for_country_code(number.country_code) == (region or default_region())
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, fmt)
