"""Gift cards: issue (sold or head-office goodwill), check, redeem, refund to the card, expire.

Lock order: one gift card row per transaction (`select_for_update` on the card), taken before its
entry is written; the balance moves by the entry's amount in the same transaction, and the
database CHECKs it non-negative, so concurrent spends can never overdraw a card. Entries are
unique per (card, kind, reference): a retried redeem or refund for the same reference is refused
(redeem) or answered with the first entry (issue, refund), never booked twice.

Wrong or unknown numbers get one answer (`gift_card_not_found`) and are counted per caller
(user, device or IP); past GIFT_CARD_LOOKUP_LIMIT misses in GIFT_CARD_LOOKUP_WINDOW seconds the
caller is refused (`too_many_gift_card_attempts`) before any lookup, so numbers cannot be guessed.
"""

import contextlib
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import DecimalField, Exists, F, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.errors import CustomerCode, CustomerError
from customers.events import record_gift_card_changed
from customers.models import Customer, GiftCard, GiftCardEntry
from customers.services._common import post_money_entry
from retail.domain.channel import Channel
from retail.domain.money import format_money, money
from retail.errors import RetailCode
from retail.markets import market_currency
from retail.models import Market, Store, User
from retail.selectors import store_language
from retail.services import enqueue_outbox_message, record_audit_event

CODE_DIGITS = 16
# The number to whoever gets the card: delivered by orders' handler, which wipes it from the stored message.
CODE_TOPIC = "customers.gift_card_code"
NOT_FOUND_MESSAGE = gettext_lazy("No active gift card has that number. Check the number on the card.")


class InsufficientGiftCardBalance(CustomerError):
    default_code = CustomerCode.INSUFFICIENT_GIFT_CARD_BALANCE


@dataclass(frozen=True)
class IssuedGiftCard:
    """A new card and its number: the only moment the full number exists (it is never stored)."""

    card: GiftCard
    code: str


def normalise_code(code: str) -> str:
    """Digits only: shoppers type numbers with spaces or dashes as printed on the card."""
    return "".join(ch for ch in str(code or "") if ch.isdigit())


def hash_code(code: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), normalise_code(code).encode(), hashlib.sha256).hexdigest()


def _amount(value, field: str = "amount") -> Decimal:
    """A positive amount, rounded by the kernel's rule; a 400 when it is no number or not above zero."""
    try:
        amount = money(value)
    except (ArithmeticError, ValueError):
        raise CustomerError(
            _("Amounts are decimals like 12.50."), code=RetailCode.INVALID, fields={field: [_("Not a number.")]}
        ) from None
    if amount <= 0:  # a rule of the amount, not its shape (a money string): its own code, not `invalid`
        raise CustomerError(
            _("The amount must be positive."), code=CustomerCode.GIFT_CARD_AMOUNT, fields={field: [_("Must be > 0.")]}
        )
    return amount


def _require_reference(reference: str) -> None:
    if not reference:
        raise CustomerError(
            _("A reference (order, receipt or refund number) is required."),
            code=RetailCode.INVALID,
            fields={"reference": [_("Required.")]},
        )


def _validity() -> timedelta:
    return timedelta(days=settings.GIFT_CARD_VALIDITY_DAYS)


# --- guessing limit --------------------------------------------------------------------------


def _miss_keys(caller: str | tuple[str, ...]) -> list[str]:
    """One counter per key: a caller is e.g. ("ip:203.0.113.9", "user:7"), so new accounts do not reset it."""
    keys = (caller,) if isinstance(caller, str) else tuple(caller)
    return [f"giftcard-miss:{key}" for key in keys if key]


def lookups_blocked(caller: str | tuple[str, ...]) -> bool:
    keys = _miss_keys(caller)
    if not keys:
        return False
    counts = cache.get_many(keys)
    return any((counts.get(key) or 0) >= settings.GIFT_CARD_LOOKUP_LIMIT for key in keys)


def _record_miss(caller: str | tuple[str, ...]) -> None:
    for key in _miss_keys(caller):
        if not cache.add(key, 1, settings.GIFT_CARD_LOOKUP_WINDOW):
            # expired meanwhile, or the cache is down (limits fail open, SECURITY F4)
            with contextlib.suppress(ValueError):
                cache.incr(key)


def _find(code: str, *, caller: str | tuple[str, ...], lock: bool, redeemed_for: str = "") -> GiftCard:
    """The active, unexpired card with this number; one answer for unknown, wrong and expired.

    With `redeemed_for`, the card says in the same query whether it already paid that reference
    (`card.already_redeemed`): the redeem's whole read is one statement.
    """
    if lookups_blocked(caller):
        raise CustomerError(
            _("Too many wrong gift card numbers. Wait a few minutes and try again."),
            code=CustomerCode.TOO_MANY_GIFT_CARD_ATTEMPTS,
        )
    digits = normalise_code(code)
    qs = GiftCard.objects.filter(code_hash=hash_code(digits)) if len(digits) == CODE_DIGITS else GiftCard.objects.none()
    if redeemed_for:
        done = GiftCardEntry.objects.filter(card=OuterRef("pk"), kind=GiftCardEntry.Kind.REDEEM, reference=redeemed_for)
        qs = qs.annotate(already_redeemed=Exists(done))
    card = (qs.select_for_update(of=("self",)) if lock else qs).first()
    if card is None or card.status != GiftCard.Status.ACTIVE or card.expires_at <= timezone.now():
        _record_miss(caller)
        raise CustomerError(
            str(NOT_FOUND_MESSAGE), code=CustomerCode.GIFT_CARD_NOT_FOUND, fields={"code": [_("Unknown.")]}
        )
    return card


def _post(card: GiftCard, *, kind: str, amount: Decimal, reference: str, actor=None, store=None) -> GiftCardEntry:
    """Append one entry and move the (locked) card's balance by it; an expiry closes the card."""
    also = ()
    if kind == GiftCardEntry.Kind.EXPIRE:
        card.status, also = GiftCard.Status.EXPIRED, ("status",)
    entry = post_money_entry(
        GiftCardEntry(card=card, kind=kind, amount=amount, reference=reference, actor=actor, store=store),
        account=card,
        also_update=also,
    )
    record_gift_card_changed(card, entry)
    return entry


# --- services --------------------------------------------------------------------------------


def _sold_currency(currency: str | None) -> str:
    """A card is loaded in a currency the chain sells in (a market's; the home market's when not said): a card in
    any other could never be spent, yet would count as owed."""
    currency = market_currency(currency=currency)
    if not Market.objects.filter(currency=currency).exists():
        sold = sorted(set(Market.objects.values_list("currency", flat=True)))
        currencies = ", ".join(sold)
        raise CustomerError(
            _("Gift cards are loaded in %(currencies)s, not %(currency)s.")
            % {"currencies": currencies, "currency": currency[:10]},
            code=RetailCode.INVALID,
            fields={"currency": [_("One of %(currencies)s.") % {"currencies": currencies}]},
        )
    return currency


@transaction.atomic
def issue_gift_card(
    *,
    amount: Decimal,
    source: str,
    reference: str,
    currency: str | None = None,
    customer: Customer | None = None,
    actor: User | None = None,
    store: Store | None = None,
    reason: str = "",
    channel: str = "",
    send_to: str = "",
    recipient_name: str = "",
    note: str = "",
) -> IssuedGiftCard:
    """A new card loaded with `amount`: sold (at the till or online, `channel` says where) or
    goodwill from head office.

    Goodwill needs a reason and is audited with the staff member who gave it. The number is
    returned once, to print; with `send_to` (an email) it is also sent there through the outbox,
    with `recipient_name` and the buyer's `note`. Only its keyed hash and last four digits are kept.
    """
    _require_reference(reference)
    amount = _amount(amount)
    if amount > settings.GIFT_CARD_MAX_AMOUNT:
        most = {"amount": settings.GIFT_CARD_MAX_AMOUNT}
        raise CustomerError(
            _("A gift card holds at most %(amount)s.") % most,
            code=CustomerCode.GIFT_CARD_AMOUNT,
            fields={"amount": [_("At most %(amount)s.") % most]},
        )
    if source not in GiftCard.Source.values:
        raise CustomerError(_("Issue a gift card as sold or goodwill."), code=RetailCode.INVALID_KIND,
                            fields={"source": [_("sold or goodwill.")]})  # fmt: skip
    if source == GiftCard.Source.GOODWILL and not reason.strip():
        raise CustomerError(_("Say why the goodwill card is given."), code=RetailCode.INVALID,
                            fields={"reason": [_("Required.")]})  # fmt: skip
    channel = "" if source == GiftCard.Source.GOODWILL else channel
    if channel and channel not in Channel.values:
        raise CustomerError(_("Say on which channel the gift card was sold."), code=RetailCode.INVALID,
                            fields={"channel": [_("A sales channel.")]})  # fmt: skip
    currency = _sold_currency(currency)
    send_to = (send_to or "").strip().lower()
    if send_to:
        try:
            validate_email(send_to)
        except ValidationError:
            raise CustomerError(_("The gift card cannot be sent to that address."), code=CustomerCode.INVALID_EMAIL,
                                fields={"send_to": [_("Not an email address.")]}) from None  # fmt: skip
    already = CustomerError(_("A gift card was already issued for %(reference)s.") % {"reference": reference},
                            code=CustomerCode.GIFT_CARD_ALREADY_ISSUED)  # fmt: skip
    if GiftCardEntry.objects.filter(kind=GiftCardEntry.Kind.ISSUE, reference=reference[:100]).exists():
        raise already
    code = "".join(str(secrets.randbelow(10)) for _ in range(CODE_DIGITS))
    now = timezone.now()
    card = GiftCard(
        code_hash=hash_code(code),
        last4=code[-4:],
        currency=currency,
        source=source,
        channel=channel,
        customer=customer,
        issued_by=actor,
        issued_at=now,
        expires_at=now + _validity(),
    )
    card.full_clean(validate_constraints=False)
    card.save()
    try:
        with transaction.atomic():  # a concurrent issue for the same reference loses on the unique index
            _post(card, kind=GiftCardEntry.Kind.ISSUE, amount=amount, reference=reference, actor=actor, store=store)
    except IntegrityError:
        raise already from None
    record_audit_event(
        actor=actor,
        action=f"gift_card.issued_{source}",
        obj=card,
        store=store,
        details={"amount": str(amount), "currency": card.currency, "last4": card.last4, "reference": reference,
                 "reason": reason.strip()[:200], "customer_id": customer.pk if customer else None,
                 "channel": channel, "sent_to": send_to},
    )  # fmt: skip
    if send_to:
        enqueue_outbox_message(
            topic=CODE_TOPIC,
            payload={"card_id": card.pk, "email": send_to, "code": code, "name": recipient_name.strip()[:80],
                     "note": note.strip()[:300], "language": _message_language(customer, store)},
        )  # fmt: skip
    return IssuedGiftCard(card=card, code=code)


def _message_language(customer: Customer | None, store: Store | None) -> str:
    """The language of a gift card's message: its shopper's, else its store's market's, else the one
    the buyer asked in (the API's Accept-Language)."""
    if customer is not None and customer.language:
        return customer.language
    return store_language(store) if store is not None else translation.get_language() or ""


def check_gift_card_balance(*, code: str, caller: str | tuple[str, ...]) -> GiftCard:
    """The card behind a number, for its balance; misses count against `caller` (see module doc)."""
    return _find(code, caller=caller, lock=False)


@transaction.atomic
def redeem_gift_card(
    *,
    code: str,
    amount: Decimal,
    reference: str,
    caller: str | tuple[str, ...],
    currency: str | None = None,
    actor: User | None = None,
    store: Store | None = None,
) -> GiftCardEntry:
    """Pay `amount` with the card, partially or in full. Locks the card: concurrent spends never overdraw it.

    Refuses more than the balance (`insufficient_gift_card_balance`, the balance in `extra`), another
    currency, and a second redeem for the same reference (`gift_card_already_redeemed`).
    """
    _require_reference(reference)
    amount = _amount(amount)
    card = _find(code, caller=caller, lock=True, redeemed_for=reference[:100])
    if currency and currency.upper() != card.currency:
        raise CustomerError(
            _("This gift card is in %(currency)s.") % {"currency": card.currency},
            code=CustomerCode.GIFT_CARD_WRONG_CURRENCY,
        )
    if card.already_redeemed:
        raise CustomerError(_("This gift card was already used for %(reference)s.") % {"reference": reference},
                            code=CustomerCode.GIFT_CARD_ALREADY_REDEEMED)  # fmt: skip
    if card.balance < amount:
        raise InsufficientGiftCardBalance(
            _("Only %(balance)s left on this gift card; %(amount)s asked.")
            % {"balance": format_money(card.balance, card.currency), "amount": format_money(amount, card.currency)},
            extra={"balance": str(card.balance)},
        )
    return _post(card, kind=GiftCardEntry.Kind.REDEEM, amount=-amount, reference=reference, actor=actor, store=store)


@transaction.atomic
def refund_to_gift_card(
    *, card: GiftCard, amount: Decimal, reference: str, actor: User | None = None, store: Store | None = None
) -> GiftCardEntry:
    """Put `amount` back on a card (a return of what it paid). Idempotent by reference.

    Never more than was redeemed from the card and not yet refunded; an expired card is
    reopened until a fresh validity period ends (the shopper did not choose to lose the money).
    """
    _require_reference(reference)
    amount = _amount(amount)
    card = GiftCard.objects.select_for_update().get(pk=card.pk)
    existing = card.entries.filter(kind=GiftCardEntry.Kind.REFUND, reference=reference[:100]).first()
    if existing is not None:
        return existing
    spent = -sum((e for e in card.entries.filter(kind=GiftCardEntry.Kind.REDEEM).values_list("amount", flat=True)),
                 Decimal("0"))  # fmt: skip
    refunded = sum(card.entries.filter(kind=GiftCardEntry.Kind.REFUND).values_list("amount", flat=True), Decimal("0"))
    if amount > spent - refunded:
        raise CustomerError(
            _("Only %(value)s paid with this gift card can go back to it.") % {"value": spent - refunded},
            code=CustomerCode.GIFT_CARD_REFUND_TOO_LARGE,
            fields={"amount": [_("Too much.")]},
        )
    if card.status == GiftCard.Status.EXPIRED or card.expires_at <= timezone.now():
        card.status, card.expires_at = GiftCard.Status.ACTIVE, timezone.now() + _validity()
        card.save(update_fields=["status", "expires_at"])
    return _post(card, kind=GiftCardEntry.Kind.REFUND, amount=amount, reference=reference, actor=actor, store=store)


def expire_gift_cards(*, now=None) -> int:
    """Cards past their expiry: the balance left is written off (one `expire` entry), status expired.

    One short transaction per card, so the till is never held up. Returns how many expired.
    """
    now = now or timezone.now()
    ids = list(GiftCard.objects.filter(status=GiftCard.Status.ACTIVE, expires_at__lte=now)
               .order_by("pk").values_list("pk", flat=True))  # fmt: skip
    done = 0
    for pk in ids:
        with transaction.atomic():
            card = GiftCard.objects.select_for_update().get(pk=pk)
            if card.status != GiftCard.Status.ACTIVE or card.expires_at > now:
                continue
            if card.balance > 0:
                _post(
                    card,
                    kind=GiftCardEntry.Kind.EXPIRE,
                    amount=-card.balance,
                    reference=f"expire:{card.expires_at:%Y-%m-%d}",
                )
            else:
                card.status = GiftCard.Status.EXPIRED
                card.save(update_fields=["status"])
            done += 1
    return done


def gift_card_drift() -> list[dict]:
    """Cards whose balance is not the sum of their entries (empty when the ledger holds)."""
    sums = GiftCardEntry.objects.filter(card=OuterRef("pk")).order_by().values("card").annotate(s=Sum("amount"))
    ledger = Coalesce(Subquery(sums.values("s"), output_field=DecimalField()), Value(Decimal("0")),
                      output_field=DecimalField())  # fmt: skip
    rows = GiftCard.objects.annotate(ledger=ledger).exclude(balance=F("ledger")).order_by("pk")
    return list(rows.values("pk", "last4", "balance", "ledger"))
