"""Loyalty points, tiers, store credit and offers: the services orders and returns call.

Every balance change locks the account row (`select_for_update`) and writes a ledger entry in
the same transaction; the balance column is CHECKed non-negative in the database as well.
"""

from datetime import timedelta
from decimal import ROUND_DOWN, Decimal

from django.db import transaction
from django.db.models import OuterRef, Q, Subquery, Sum, Value
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.errors import CustomerCode, CustomerError
from customers.events import record_store_credit_changed
from customers.models import (
    Consent,
    Customer,
    Interaction,
    LoyaltyAccount,
    LoyaltyTier,
    Offer,
    OfferAssignment,
    PointsEntry,
    PurchasedItem,
    StoreCreditAccount,
    StoreCreditEntry,
)
from customers.services._common import post_money_entry, update_rows
from retail.domain.money import format_money, money
from retail.errors import RetailCode
from retail.exchange_rates import rates_on
from retail.markets import home_currency, market_currency
from retail.messages import Message, say, text_and_message
from retail.models import ExchangeRate, Market, Store, User
from retail.services import record_audit_event


class InsufficientPoints(CustomerError):
    default_code = CustomerCode.INSUFFICIENT_POINTS


class InsufficientStoreCredit(CustomerError):
    default_code = CustomerCode.INSUFFICIENT_STORE_CREDIT


def _amount(value) -> Decimal:
    """An amount given to a loyalty service, rounded by the kernel's rule; a 400 when it is no number."""
    try:
        amount = money(value)
    except (ArithmeticError, ValueError):
        raise CustomerError(
            _("Amounts are decimals like 12.50."), code=RetailCode.INVALID, fields={"amount": [_("Not a number.")]}
        ) from None
    return amount


def _locked(model, customer: Customer):
    """The customer's account row, created if missing, locked until the transaction ends."""
    model.objects.bulk_create([model(customer=customer, created_at=timezone.now())], ignore_conflicts=True)
    return model.objects.select_for_update().get(customer=customer)


def _post_points(
    account: LoyaltyAccount, *, kind: str, points: int, reference: str, actor=None, note: "str | Message" = ""
) -> PointsEntry:
    now = timezone.now()
    note, message = text_and_message(note, 200)
    entry = PointsEntry(
        account=account,
        kind=kind,
        points=points,
        reference=reference[:100],
        note=note,
        message=message,
        actor=actor,
        created_at=now,
    )
    entry.full_clean(validate_constraints=False)
    entry.save()
    account.balance += points
    account.last_activity_at = now
    account.save(update_fields=["balance", "last_activity_at"])
    return entry


def _require_reference(reference: str) -> None:
    if not reference:
        raise CustomerError(
            _("A reference (order or return number) is required."),
            code=RetailCode.INVALID,
            fields={"reference": [_("Required.")]},
        )


@transaction.atomic
def earn_points(
    *,
    customer: Customer,
    reference: str,
    amount: Decimal | None = None,
    currency: str = "",
    points: int | None = None,
    actor: User | None = None,
) -> PointsEntry:
    """Credit points for a purchase: `points` as given, or `amount` (in `currency`; none: the home
    market's) x the tier's rate per unit of the home currency (see `points_for_amount`).

    Idempotent by reference: earning twice for one order returns the first entry. A purchase in a
    currency without a rate today earns nothing: `exchange_rate_missing`, nothing written.
    """
    _require_reference(reference)
    account = _locked(LoyaltyAccount, customer)
    existing = account.entries.filter(kind=PointsEntry.Kind.EARN, reference=reference).first()
    if existing is not None:
        return existing
    if points is None:
        if amount is None:
            raise CustomerError(_("Give points or an amount."), code=RetailCode.INVALID)
        points = points_for_amount(account, _amount(amount), currency=currency)
        if points is None:
            code = currency.upper()
            raise CustomerError(
                _("No exchange rate from %(currency)s today: a purchase in it earns no points.") % {"currency": code},
                code=RetailCode.EXCHANGE_RATE_MISSING,
                extra={"currency": code},
            )
    if points <= 0:
        raise CustomerError(
            _("Points earned must be positive."), code=RetailCode.INVALID, fields={"points": [_("Must be > 0.")]}
        )
    return _post_points(account, kind=PointsEntry.Kind.EARN, points=points, reference=reference, actor=actor)


@transaction.atomic
def redeem_points(*, customer: Customer, points: int, reference: str, actor: User | None = None) -> PointsEntry:
    """Spend points. Takes the account row lock, so concurrent spends never overdraw it."""
    _require_reference(reference)
    if points <= 0:
        raise CustomerError(
            _("Points to redeem must be positive."), code=RetailCode.INVALID, fields={"points": [_("Must be > 0.")]}
        )
    account = _locked(LoyaltyAccount, customer)
    if account.entries.filter(kind=PointsEntry.Kind.REDEEM, reference=reference).exists():
        raise CustomerError(
            _("Points were already redeemed for %(reference)s.") % {"reference": reference},
            code=CustomerCode.ALREADY_REDEEMED,
        )
    if account.balance < points:
        raise InsufficientPoints(
            _("Only %(balance)s points available; %(points)s asked.") % {"balance": account.balance, "points": points},
            extra={"balance": account.balance},
        )
    return _post_points(account, kind=PointsEntry.Kind.REDEEM, points=-points, reference=reference, actor=actor)


@transaction.atomic
def reverse_points(
    *, customer: Customer, reference: str, points: int | None = None, actor: User | None = None
) -> PointsEntry | None:
    """Take back points earned for `reference` (a return): all of them, or `points` of them.

    Never more than was earned for it and not yet reversed, and never below a zero balance (points
    already spent are not clawed back). Returns None when there is nothing left to reverse.
    """
    _require_reference(reference)
    account = _locked(LoyaltyAccount, customer)
    totals = account.entries.filter(reference=reference).aggregate(
        earned=Sum("points", filter=Q(kind=PointsEntry.Kind.EARN)),
        reversed=Sum("points", filter=Q(kind=PointsEntry.Kind.REVERSE)),
    )
    remaining = (totals["earned"] or 0) + (totals["reversed"] or 0)
    wanted = remaining if points is None else min(points, remaining)
    wanted = min(wanted, account.balance)
    if wanted <= 0:
        return None
    return _post_points(account, kind=PointsEntry.Kind.REVERSE, points=-wanted, reference=reference, actor=actor)


@transaction.atomic
def adjust_points(*, customer: Customer, points: int, note: "str | Message", actor: User | None = None) -> PointsEntry:
    """Add or take points with a reason: the words head office typed, or the system's message."""
    if not note:
        raise CustomerError(
            _("Say why the points are adjusted."), code=RetailCode.INVALID, fields={"note": [_("Required.")]}
        )
    account = _locked(LoyaltyAccount, customer)
    if account.balance + points < 0:
        raise InsufficientPoints(
            _("The balance is %(balance)s; it cannot go below zero.") % {"balance": account.balance}
        )
    entry = _post_points(
        account,
        kind=PointsEntry.Kind.ADJUST,
        points=points,
        reference=f"adjust:{timezone.now():%Y%m%d%H%M%S}",
        actor=actor,
        note=note,
    )
    record_audit_event(
        actor=actor,
        action="loyalty.points_adjusted",
        obj=customer,
        details={"points": points, "note": getattr(note, "subject", note)},
    )
    return entry


def expire_inactive_points(*, inactive_days: int = 365) -> int:
    """Points lapse after a year without any earn or spend (the programme's rule). Returns accounts touched."""
    cutoff = timezone.now() - timedelta(days=inactive_days)
    ids = list(LoyaltyAccount.objects.filter(balance__gt=0, last_activity_at__lt=cutoff).values_list("id", flat=True))
    done = 0
    for account_id in ids:
        with transaction.atomic():
            account = LoyaltyAccount.objects.select_for_update().get(pk=account_id)
            if account.balance > 0 and account.last_activity_at and account.last_activity_at < cutoff:
                _post_points(
                    account,
                    kind=PointsEntry.Kind.EXPIRE,
                    points=-account.balance,
                    reference=f"expire:{cutoff:%Y-%m-%d}",
                )
                done += 1
    return done


# Tiers in several currencies (issue 19.2): a tier's min_spend is in the home market's currency, and
# so is the 12-month spend it is compared with. Each currency's spend is summed apart and converted at
# head office's rate in force on the day the spend is counted (retail.exchange_rates, the rates the
# reports state); a currency without a rate that day is not counted, and the account names it
# (`spend_detail["missing"]`, shown on the profile) until a rate exists and the daily recount runs.


def rolling_spend_detail(customer: Customer, *, days: int = 365) -> tuple[Decimal, dict]:
    """(the spend of the last `days` in the home market's currency, what it counts: `spend_detail`).
    Purchases recorded without a currency (before markets) are in the home market's. Three queries."""
    since = timezone.now() - timedelta(days=days)
    home = home_currency()
    by_currency = spend_by_currency([customer.pk], since=since, home=home).get(customer.pk, {})
    return converted_spend(by_currency, home=home)


def spend_by_currency(customer_ids, *, since, home: str) -> dict[int, dict[str, Decimal]]:
    """Each shopper's purchases since `since`, summed per currency (the purchase's, from its timeline
    entry; none: `home`). One query, whatever the number of shoppers."""
    rows = (
        # the item's interaction is of the same moment: saying so prunes the interactions' months too
        # (joined on its id alone, every monthly partition of the timeline was probed: 36 ms a checkout at xlarge)
        PurchasedItem.objects.filter(
            customer_id__in=customer_ids, occurred_at__gte=since, interaction__occurred_at__gte=since
        )
        .order_by()
        .values("customer_id", currency=KeyTextTransform("currency", "interaction__data"))
        .annotate(s=Sum("amount"))
        .values_list("customer_id", "currency", "s")
    )
    spend: dict[int, dict[str, Decimal]] = {}
    for customer_id, currency, amount in rows:
        code = (currency or home).upper()
        mine = spend.setdefault(customer_id, {})
        mine[code] = mine.get(code, Decimal("0")) + (amount or 0)
    return spend


def converted_spend(by_currency: dict[str, Decimal], *, home: str, rates: dict | None = None) -> tuple[Decimal, dict]:
    """(the spend in `home`, its `spend_detail`); `rates`: today's (rates_on) when the caller has them."""
    today = timezone.localdate()
    if rates is None:
        rates = rates_on(currencies=set(by_currency), day=today, reporting=home) if set(by_currency) - {home} else {}
    total, missing = Decimal("0"), []
    for code, amount in sorted(by_currency.items()):
        if code == home:
            total += amount
        elif rates[code].missing:
            missing.append(code)
        else:
            total += rates[code].convert(money(amount, code))
    detail = {
        "currency": home,
        "by_currency": {code: str(money(amount, code)) for code, amount in sorted(by_currency.items())},
        "missing": missing,
        "day": today.isoformat(),
    }
    return money(total, home), detail


def rolling_spend(customer: Customer, *, days: int = 365) -> Decimal:
    """The spend of the last `days` in the home market's currency (see `rolling_spend_detail`)."""
    return rolling_spend_detail(customer, days=days)[0]


@transaction.atomic
def recalculate_tier(*, customer: Customer) -> LoyaltyTier | None:
    """Tier from the last 12 months' net spend (purchases minus returns), in the home market's currency."""
    account = _locked(LoyaltyAccount, customer)
    spend, detail = rolling_spend_detail(customer)
    tier = LoyaltyTier.objects.filter(min_spend__lte=spend).order_by("-min_spend").first()
    if account.tier_id != (tier.pk if tier else None) or account.spend_12m != spend or account.spend_detail != detail:
        old = account.tier_id
        account.tier, account.spend_12m, account.spend_detail = tier, spend, detail
        account.save(update_fields=["tier", "spend_12m", "spend_detail"])
        if old != account.tier_id:
            record_audit_event(
                actor=None, action="loyalty.tier_changed", obj=customer, details={"tier": tier.code if tier else None}
            )
    return tier


def lock_accounts_for_purchases(customer_ids, *, currency: str = "") -> dict[int, LoyaltyAccount]:
    """The loyalty accounts of these customers, created if missing, locked in primary-key order.

    The till's batch path (`post_purchase_points`): one locking read, plus an insert and a second
    read only when an account is missing. Each account carries `next_min_spend`, the threshold of
    the tier above its own (None at the top), so a purchase re-ranks the tier only when it crosses it,
    `home_currency`, and with `currency` (the till's) today's rate from it into the home currency
    (`purchase_rate`, None without one), so `purchase_points` converts with no query.
    """
    ids = sorted(set(customer_ids))
    if not ids:
        return {}
    above = LoyaltyTier.objects.filter(
        min_spend__gt=Coalesce(OuterRef("tier__min_spend"), Value(Decimal("-1")))
    ).order_by("min_spend")
    home = Market.objects.filter(is_home=True).values("currency")[:1]
    today = timezone.localdate()
    code = (currency or "").strip().upper()
    rate = (
        ExchangeRate.objects.filter(currency=code, reporting_currency=Subquery(home), valid_from__lte=today)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=today))
        .values("rate")[:1]
    )

    def lock():
        rows = (
            LoyaltyAccount.objects.select_for_update(of=("self",))
            .select_related("tier")
            .annotate(
                next_min_spend=Subquery(above.values("min_spend")[:1]),
                home_currency=Subquery(home),
                **({"purchase_currency": Value(code), "purchase_rate": Subquery(rate)} if code else {}),
            )
            .filter(customer_id__in=ids)
            .order_by("pk")
        )
        return {row.customer_id: row for row in rows}

    accounts = lock()
    if len(accounts) < len(ids):
        now = timezone.now()
        LoyaltyAccount.objects.bulk_create(
            [LoyaltyAccount(customer_id=pk, created_at=now) for pk in ids if pk not in accounts], ignore_conflicts=True
        )
        accounts = lock()
    return accounts


def purchase_points(account: LoyaltyAccount, amount: Decimal, currency: str = "") -> int:
    """Points a purchase of `amount` in `currency` earns at the account's tier rate (0 when less than one
    point, or when the currency has no rate today). No query for an account of `lock_accounts_for_purchases`
    given that currency."""
    return max(points_for_amount(account, _amount(amount), currency=currency) or 0, 0)


# Points in several currencies (issue 19.2): a tier's points_per_unit is per unit of the home market's
# currency, like its min_spend. A purchase in another currency earns on its amount converted at head
# office's rate of the day (retail.exchange_rates, the rate the tier's spend and the reports use), so
# 100 zł earns what its ~23 € earn, not what 100 € earn; without a rate that day it earns none.


def points_for_amount(account: LoyaltyAccount, amount: Decimal, *, currency: str = "") -> int | None:
    """Whole points (rounded down) that `amount` in `currency` earns on the account; None when the
    currency has no rate today. Reads the home currency and the rate unless the account carries them
    (`lock_accounts_for_purchases(currency=...)`)."""
    home = getattr(account, "home_currency", None) or home_currency()
    code = (currency or "").strip().upper() or home
    if code != home:
        if getattr(account, "purchase_currency", None) == code:
            rate = account.purchase_rate
        else:
            rate = rates_on(currencies={code}, day=timezone.localdate(), reporting=home)[code].rate
        if rate is None:
            return None
        amount = money(amount * rate, home)
    per_unit = account.tier.points_per_unit if account.tier_id else Decimal("1")
    return int((amount * per_unit).to_integral_value(rounding=ROUND_DOWN))


def post_purchase_points(earns: list[tuple[LoyaltyAccount, str, int, Decimal, bool, str]]) -> None:
    """Book purchases on accounts locked by `lock_accounts_for_purchases`, in two statements.

    `earns`: (account, reference, points, amount, in_window, currency). Each purchase with points gets
    its `earn` ledger entry; the balance, last activity and 12-month spend move by the same amounts
    (spend only for purchases inside the rolling window; in the home market's currency: a purchase in
    another is converted at today's rate, one query more for the batch, or named in the account's
    `spend_detail` when there is none). The tier is recalculated in full only for accounts whose spend
    crossed the next tier's threshold; the daily `recalculate_tiers` still rolls old spend off.
    References are fresh order numbers, so no earn exists for them yet.
    """
    now = timezone.now()
    foreign = {c.upper() for a, *_, c in earns if c and c.upper() != getattr(a, "home_currency", None)}
    rates = rates_on(currencies=foreign, day=timezone.localdate()) if foreign else {}
    entries, touched = [], {}
    for account, reference, points, amount, in_window, currency in earns:
        if points > 0:
            entries.append(PointsEntry(account=account, kind=PointsEntry.Kind.EARN, points=points,
                                       reference=reference[:100], created_at=now))  # fmt: skip
            account.balance += points
            account.last_activity_at = now
        if in_window:
            _add_spend(account, _amount(amount), (currency or "").upper() or account.home_currency, rates)
        touched[account.pk] = account
    PointsEntry.objects.bulk_create(entries)
    if touched:
        update_rows(list(touched.values()), ["balance", "last_activity_at", "spend_12m", "spend_detail"])
    for account in touched.values():
        threshold = getattr(account, "next_min_spend", None)
        if threshold is not None and account.spend_12m >= threshold:
            recalculate_tier(customer=Customer(pk=account.customer_id))


def _add_spend(account: LoyaltyAccount, amount: Decimal, currency: str, rates: dict) -> None:
    """A purchase's amount into the account's spend: converted into the home currency, and in its detail."""
    home = account.home_currency
    detail = dict(account.spend_detail or {})
    detail.setdefault("currency", home)
    by_currency = dict(detail.get("by_currency") or {})
    by_currency[currency] = str(money(Decimal(by_currency.get(currency, "0")) + amount, currency))
    detail["by_currency"] = by_currency
    if currency == home:
        account.spend_12m = (account.spend_12m or Decimal("0")) + amount
    elif rates[currency].missing:
        detail["missing"] = sorted({*detail.get("missing", []), currency})
    else:
        account.spend_12m = (account.spend_12m or Decimal("0")) + rates[currency].convert(amount)
    account.spend_detail = detail


# --- store credit ----------------------------------------------------------------------------


def _post_credit(account, *, kind, amount, reference, actor=None, store=None) -> StoreCreditEntry:
    entry = post_money_entry(
        StoreCreditEntry(account=account, kind=kind, amount=amount, reference=reference, actor=actor, store=store),
        account=account,
    )
    record_store_credit_changed(account, entry)
    return entry


def _credit_currency(account: StoreCreditAccount, currency: str | None, *, issuing: bool) -> None:
    """Store credit is held in one currency: an empty account takes the currency of a credit; a
    balance in one currency is never spent on, or topped up by, a sale in another."""
    currency = market_currency(currency=currency)
    if account.currency == currency:
        return
    if issuing and (not account.currency or account.balance == 0):
        account.currency = currency
        account.save(update_fields=["currency"])
        return
    if not account.currency and not issuing:
        return  # nothing was ever credited: the balance check refuses the spend
    raise CustomerError(
        (
            _("This shopper's store credit is in %(held)s; it cannot take a credit in %(currency)s.")
            if issuing
            else _("This shopper's store credit is in %(held)s; it cannot pay in %(currency)s.")
        )
        % {"held": account.currency, "currency": currency},
        code=CustomerCode.STORE_CREDIT_WRONG_CURRENCY,
        extra={"balance": str(account.balance), "currency": account.currency},
    )


@transaction.atomic
def issue_store_credit(
    *,
    customer: Customer,
    amount: Decimal,
    reference: str,
    actor: User | None = None,
    store: Store | None = None,
    currency: str | None = None,
) -> StoreCreditEntry:
    """Credit the shopper (a refund as store credit) in `currency` (the deployment's if not said).
    Idempotent by reference; `store_credit_wrong_currency` when the balance is in another currency."""
    _require_reference(reference)
    amount = _amount(amount)
    if amount <= 0:
        raise CustomerError(
            _("Store credit issued must be positive."), code=RetailCode.INVALID, fields={"amount": [_("Must be > 0.")]}
        )
    account = _locked(StoreCreditAccount, customer)
    existing = account.entries.filter(kind=StoreCreditEntry.Kind.ISSUE, reference=reference).first()
    if existing is not None:
        return existing
    _credit_currency(account, currency, issuing=True)
    entry = _post_credit(
        account, kind=StoreCreditEntry.Kind.ISSUE, amount=amount, reference=reference, actor=actor, store=store
    )
    record_audit_event(
        actor=actor,
        action="store_credit.issued",
        obj=customer,
        store=store,
        details={"amount": str(amount), "currency": account.currency, "reference": reference},
    )
    return entry


@transaction.atomic
def spend_store_credit(
    *,
    customer: Customer,
    amount: Decimal,
    reference: str,
    actor: User | None = None,
    store: Store | None = None,
    currency: str | None = None,
) -> StoreCreditEntry:
    """Pay with store credit, in `currency` (the deployment's if not said): a balance in another is
    `store_credit_wrong_currency`. Takes the account row lock: concurrent spends never overdraw it."""
    _require_reference(reference)
    amount = _amount(amount)
    if amount <= 0:
        raise CustomerError(
            _("Amount to spend must be positive."), code=RetailCode.INVALID, fields={"amount": [_("Must be > 0.")]}
        )
    account = _locked(StoreCreditAccount, customer)
    if account.entries.filter(kind=StoreCreditEntry.Kind.SPEND, reference=reference).exists():
        raise CustomerError(
            _("Store credit was already spent for %(reference)s.") % {"reference": reference},
            code=CustomerCode.ALREADY_SPENT,
        )
    _credit_currency(account, currency, issuing=False)
    if account.balance < amount:
        raise InsufficientStoreCredit(
            _("Only %(balance)s of store credit left; %(amount)s asked.")
            % {
                "balance": format_money(account.balance, account.currency or currency),
                "amount": format_money(amount, account.currency or currency),
            },
            extra={"balance": str(account.balance)},
        )
    return _post_credit(
        account, kind=StoreCreditEntry.Kind.SPEND, amount=-amount, reference=reference, actor=actor, store=store
    )


# --- offers ----------------------------------------------------------------------------------


def eligible_customers(offer: Offer):
    """Live profiles the offer's rules admit (tier, tag, first purchase, consent, segment)."""
    qs = Customer.objects.live()
    if offer.tier_id:
        qs = qs.filter(loyalty_account__tier=offer.tier_id)
    if offer.tag_id:
        qs = qs.filter(tags=offer.tag_id)
    if offer.first_purchase_only:
        qs = qs.exclude(purchased_items__quantity__gt=0)
    if offer.requires_email_consent:
        qs = qs.filter(consents__channel=Consent.Channel.EMAIL, consents__granted=True)
    if offer.segment == Offer.Segment.LAPSED:
        recent = timezone.now() - timedelta(days=182)
        qs = qs.filter(purchased_items__isnull=False).exclude(purchased_items__occurred_at__gte=recent)
    return qs.distinct()


def _segment_admits(offer: Offer, channels: list) -> bool:
    if offer.segment == Offer.Segment.MULTICHANNEL:
        return len(channels or []) > 1
    if offer.segment == Offer.Segment.SINGLE_CHANNEL:
        return len(channels or []) == 1
    return True


@transaction.atomic
def assign_offer(*, offer: Offer, customer: Customer, actor: User | None = None) -> OfferAssignment:
    """Give one shopper an offer, if its rules admit them (idempotent)."""
    if not offer.is_active or offer.valid_until <= timezone.now():
        raise CustomerError(_("This offer is no longer running."), code=CustomerCode.OFFER_EXPIRED)
    if not eligible_customers(offer).filter(pk=customer.pk).exists() or not _segment_admits(offer, customer.channels):
        raise CustomerError(_("This shopper does not meet the offer's rules."), code=CustomerCode.OFFER_NOT_ELIGIBLE)
    assignment, created = OfferAssignment.objects.get_or_create(
        offer=offer, customer=customer, defaults={"assigned_at": timezone.now()}
    )
    if created:
        record_audit_event(actor=actor, action="offer.assigned", obj=customer, details={"offer": offer.code})
    return assignment


@transaction.atomic
def assign_offer_to_segment(*, offer: Offer, actor: User | None = None) -> int:
    """Assign the offer to every eligible shopper at once; returns how many got it now."""
    if not offer.is_active or offer.valid_until <= timezone.now():
        raise CustomerError(_("This offer is no longer running."), code=CustomerCode.OFFER_EXPIRED)
    now = timezone.now()
    before = offer.assignments.count()
    batch = []
    for customer_id, channels in eligible_customers(offer).values_list("id", "channels").iterator(chunk_size=2000):
        if _segment_admits(offer, channels):
            batch.append(OfferAssignment(offer=offer, customer_id=customer_id, assigned_at=now))
        if len(batch) >= 2000:
            OfferAssignment.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    OfferAssignment.objects.bulk_create(batch, ignore_conflicts=True)
    added = offer.assignments.count() - before
    record_audit_event(actor=actor, action="offer.assigned_to_segment", obj=offer, details={"customers": added})
    return added


@transaction.atomic
def set_offers_active(*, offer_ids, active: bool, actor: User | None = None) -> list[Offer]:
    """Switch offers on or off (head office's bulk action); returns the offers that changed.

    Locks the offers in primary-key order; offers already in that state are left alone and not
    audited, so running it twice records one change. An offer switched off can no longer be
    redeemed or assigned; switched on, it runs again within its validity dates.
    """
    offers = list(Offer.objects.select_for_update().filter(pk__in=list(offer_ids)).order_by("pk"))
    changed = [offer for offer in offers if offer.is_active != active]
    for offer in changed:
        offer.is_active = active
        offer.save(update_fields=["is_active"])
        record_audit_event(
            actor=actor,
            action="offer.activated" if active else "offer.deactivated",
            obj=offer,
            details={"code": offer.code},
        )
    return changed


def lock_offers_for_redemption(pairs) -> None:
    """Lock the assignments of these (customer id, offer code) pairs, in primary-key order.

    The till's batch takes them before the loyalty accounts (`lock_accounts_for_purchases`), the
    order online checkout takes them in (offer, then points), so the two channels redeeming for one
    shopper at once queue rather than deadlock. `redeem_offer` still checks and locks each one.
    """
    wanted = Q()
    for customer_id, code in set(pairs):
        wanted |= Q(customer_id=customer_id, offer__code=code)
    if wanted:
        list(OfferAssignment.objects.select_for_update(of=("self",)).filter(wanted).order_by("pk").values_list("pk"))


@transaction.atomic
def redeem_offer(
    *,
    customer: Customer,
    offer_code: str,
    channel: str,
    currency: str,
    reference: str,
    store: Store | None = None,
    actor: User | None = None,
) -> OfferAssignment:
    """Use the shopper's offer once, on any of its channels, on an order in `currency` (an amount off
    only in its own: `offer_wrong_currency`). Locks the assignment row."""
    _require_reference(reference)
    assignment = (
        OfferAssignment.objects.select_for_update(of=("self",))
        .select_related("offer")
        .filter(customer=customer, offer__code=offer_code)
        .first()
    )
    if assignment is None:
        raise CustomerError(_("This shopper has no such offer."), code=CustomerCode.OFFER_NOT_ASSIGNED)
    offer, now = assignment.offer, timezone.now()
    if assignment.redeemed_at is not None:
        raise CustomerError(
            _("Offer already used on %(redeemed_at)s (%(redeemed_channel)s).")
            % {
                "redeemed_at": format(assignment.redeemed_at, "%d %b %Y"),
                "redeemed_channel": assignment.redeemed_channel,
            },
            code=CustomerCode.OFFER_ALREADY_REDEEMED,
        )
    if not offer.is_active or not (offer.valid_from <= now < offer.valid_until):
        raise CustomerError(_("This offer is not valid today."), code=CustomerCode.OFFER_EXPIRED)
    if offer.channels and channel not in offer.channels:
        raise CustomerError(
            _("This offer can be used on %(value)s only.") % {"value": ", ".join(offer.channels)},
            code=CustomerCode.OFFER_WRONG_CHANNEL,
        )
    refuse_offer_in_currency(offer, currency)
    assignment.redeemed_at, assignment.redeemed_channel = now, channel
    assignment.redeemed_reference, assignment.redeemed_store = reference[:100], store
    assignment.save(update_fields=["redeemed_at", "redeemed_channel", "redeemed_reference", "redeemed_store"])
    from customers.services.timeline import record_interaction  # timeline imports loyalty (tiers)

    record_interaction(
        customer=customer,
        channel=channel,
        kind=Interaction.Kind.OFFER_REDEEMED,
        store=store,
        associate=actor,
        message=say("customers.offer_redeemed", offer=offer.text_param(), code=offer.code),
        data={"offer": offer.code, "reference": reference},
        source="offers",
        external_id=f"offer:{assignment.pk}",
    )
    return assignment


def refuse_offer_in_currency(offer: Offer, currency: str) -> None:
    """`offer_wrong_currency` when the offer takes an amount off in another currency than `currency`."""
    if offer.applies_in(currency):
        return
    raise CustomerError(
        _("This offer takes %(amount)s off orders in %(offer_currency)s; this order is in %(currency)s.")
        % {
            "amount": format_money(offer.discount_amount, offer.currency),
            "offer_currency": offer.currency,
            "currency": (currency or "").upper(),
        },
        code=CustomerCode.OFFER_WRONG_CURRENCY,
        extra={"currency": offer.currency},
    )


def recalculate_all_tiers() -> int:
    """Tiers of every account with spend or a tier (run daily). Returns how many were checked."""
    ids = list(
        LoyaltyAccount.objects.filter(Q(tier__isnull=False) | Q(spend_12m__gt=0)).values_list("customer_id", flat=True)
    )
    for customer_id in ids:
        recalculate_tier(customer=Customer(pk=customer_id))
    return len(ids)
