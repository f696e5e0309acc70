"""How identities are written down, so that the same person always gives the same key."""

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from retail.domain.codes import read_code


def default_region() -> str:
    return getattr(settings, "PHONE_REGION", "GB")


def normalise_email(value: str) -> str:
    email = (value or "").strip().lower()
    if email:
        validate_email(email)
    return email


def normalise_phone(value: str, *, region: str | None = None) -> str:
    """E.164 (`+447700900123`) from any way of writing it; ValidationError if it is no number."""
    raw = (value or "").strip()
    if not raw:
        return ""
    try:
        number = phonenumbers.parse(raw, region or default_region())
    except phonenumbers.NumberParseException:
        raise ValidationError(
            "Enter a phone number, e.g. 07700 900123 or +44 7700 900123.", code="invalid_phone"
        ) from None
    if not phonenumbers.is_possible_number(number):
        raise ValidationError("That phone number has the wrong number of digits.", code="invalid_phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def try_phone(value: str) -> str | None:
    """E.164 of a phone number typed any way, or None (the counter's reading: retail.domain.codes)."""
    return read_code(value).phone or None


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


def format_phone(e164: str) -> str:
    """For display: national format in the home region, international otherwise."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    region = phonenumbers.region_code_for_country_code(number.country_code)
    fmt = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if region == default_region()
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, fmt)
