"""What an associate typed or scanned, read once, the same way by every input of the portal.

A counter has one kind of keyboard: a person typing in any case with spaces and dashes where
they like, or a scanner typing a barcode or a QR payload and Enter. `read_code` reads that text
every way it could be meant, so the pick list, the cycle count, the counter, the returns desk,
the stock lookup, the order search and the customer search all agree on what "msh-0041-sky-xl",
"om 7k2m 9xd4", "482 913" or "07700 900123" is:

    code = read_code(" om 7k2m-9xd4 ")
    code.order_number   # "OM-7K2M-9XD4"
    read_code("msh-0041-sky-xl").sku       # "MSH-0041-SKY-XL"
    read_code("07700 900123").phone        # "+447700900123" (settings.PHONE_REGION)
    read_code("482 913").pickup_code       # "482913"
    read_code("OMNI-PICKUP:AbC…").qr("OMNI-PICKUP:")  # "abc…"

Each reading is "" when the text cannot be that kind of code. Human numbers use Crockford's
base32, so I, L and O typed for 1, 1 and 0 are read as meant.
"""

import re
from dataclasses import dataclass
from functools import cached_property

import phonenumbers
from django.conf import settings

# Crockford's base32: no I, L, O, U — nothing to misread at a counter.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_MISREAD = str.maketrans({"I": "1", "L": "1", "O": "0"})
_SPACES = re.compile(r"\s+")
_PHONE_CHARS = re.compile(r"^\+?[\d\s().\-/]+$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def human_number(prefix: str, text: str) -> str:
    """PREFIX-XXXX-XXXX from what a person typed ("om 7k2m9xd4", "0M-7K2M-9XD4"); "" if it is none."""
    cleaned = "".join(ch for ch in (text or "").upper() if ch.isalnum())
    head = prefix.translate(_MISREAD)
    if cleaned.startswith(head) and not cleaned.startswith(prefix):
        cleaned = prefix + cleaned[len(head) :]  # "0M…" typed for "OM…"
    if not cleaned.startswith(prefix):
        return ""
    body = cleaned[len(prefix) :].translate(_MISREAD)
    if len(body) != 8 or any(ch not in ALPHABET for ch in body):
        return ""
    return f"{prefix}-{body[:4]}-{body[4:]}"


def phone_number(text: str, *, region: str | None = None) -> str:
    """E.164 ("+447700900123") from a phone number written any way; "" when it is no possible number."""
    raw = (text or "").strip()
    if not raw or not _PHONE_CHARS.match(raw) or sum(ch.isdigit() for ch in raw) < 6:
        return ""
    try:
        number = phonenumbers.parse(raw, region or getattr(settings, "PHONE_REGION", "GB"))
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_possible_number(number):
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@dataclass(frozen=True)
class TypedCode:
    """One typed or scanned text and its readings (each "" when the text cannot be one)."""

    text: str  # as given: trimmed, control characters (a scanner's CR/LF/tab) gone, spaces collapsed

    def __bool__(self) -> bool:
        return bool(self.text)

    @cached_property
    def compact(self) -> str:
        """Upper case, without spaces: how SKUs, cards and numbers compare."""
        return _SPACES.sub("", self.text).upper()

    @property
    def sku(self) -> str:
        """A SKU or style code, compared case-insensitively (the catalog writes them upper case)."""
        return self.compact[:40]

    @cached_property
    def barcode(self) -> str:
        """A barcode (EAN/UPC or a shop's own): digits only, spaces and dashes allowed in between."""
        digits = re.sub(r"[\s\-]", "", self.text)
        return digits if digits.isdigit() and len(digits) <= 32 else ""

    @cached_property
    def pickup_code(self) -> str:
        """The six digits of a pick-up code ("482 913", "482-913")."""
        digits = re.sub(r"[\s\-]", "", self.text)
        return digits if digits.isdigit() and len(digits) == 6 else ""

    @cached_property
    def order_number(self) -> str:
        return human_number("OM", self.text)

    @cached_property
    def rma_number(self) -> str:
        return human_number("RMA", self.text)

    @cached_property
    def card(self) -> str:
        """A loyalty card number as stored: no spaces or dashes, upper case."""
        return re.sub(r"[\s\-]", "", self.text).upper()

    @cached_property
    def phone(self) -> str:
        return phone_number(self.text)

    @cached_property
    def email(self) -> str:
        text = self.text.lower()
        return text if "@" in text and " " not in text else ""

    def qr(self, prefix: str) -> str:
        """The token of a scanned QR payload "<PREFIX><token>" (prefix in any case); "" otherwise."""
        if not self.text.upper().startswith(prefix.upper()):
            return ""
        return self.text[len(prefix) :].strip().lower()


def read_code(text) -> TypedCode:
    """The one reading of anything an associate types or scans (see the module docstring)."""
    cleaned = _CONTROL.sub(" ", str(text or ""))
    return TypedCode(text=_SPACES.sub(" ", cleaned).strip()[:200])
