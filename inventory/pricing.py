"""Selling prices: bulk changes with a preview, price endings, schedules that start and end by
themselves, and the ledger every change writes (`PriceChange`).

Lock order: products, then variants, each by primary key (`_lock`), so a bulk change and a
schedule starting at the same moment cannot deadlock.

A preview and the change it previews are the same function (`plan_price_change`): what the
merchandiser saw as "was / now" is what is written, or the change is refused when a price moved
since the preview (`fingerprint`).
"""

import hashlib
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_FLOOR, Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory.errors import InventoryCode, InventoryError
from inventory.models import PriceChange, PriceList, PriceSchedule, PriceScheduleLine, Product, Variant, VariantPrice
from retail.domain.money import money, round_to
from retail.messages import Message, say, text_and_message
from retail.models import User
from retail.services import record_audit_event

ONE = Decimal("1")
MAX_PRICE = Decimal("99999999.99")  # DecimalField(max_digits=10, decimal_places=2)
MAX_PRODUCTS = 5000  # in one bulk change or schedule; more is a catalog import's job
Ending = PriceSchedule.Ending


def default_price_list() -> PriceList:
    """The list whose prices are the catalog's own (made by a migration, again here if deleted)."""
    found = PriceList.objects.filter(is_default=True).first()
    if found is None:
        found, _ = PriceList.objects.get_or_create(
            code="default", defaults={"name": "Default", "currency": settings.CURRENCY, "is_default": True}
        )
    return found


def with_ending(price: Decimal, ending: str) -> Decimal:
    """`price` to the cent, then to the nearest price with that ending (a tie goes up).

    ".99" / ".95": 36.00 -> 35.99, 27.50 -> 27.99, 0.40 -> 0.99 (never under the ending itself);
    "whole": 27.50 -> 28.00, 0.40 -> 1.00 (never 0 for a price above 0); "": 27.499 -> 27.50.
    """
    price = money(price)
    if ending == Ending.WHOLE:
        whole = round_to(price, ONE)
        return money(max(whole, ONE if price > 0 else Decimal(0)))
    if ending in (Ending.NINETY_NINE, Ending.NINETY_FIVE):
        cents = Decimal(f"0{ending}")
        below = price.to_integral_value(rounding=ROUND_FLOOR) + cents
        if below > price:
            below -= ONE
        above = below + ONE
        nearest = above if above - price <= price - below else below
        return money(max(nearest, cents))
    if ending:
        raise InventoryError(
            _("Unknown price ending %(ending)s.") % {"ending": repr(ending)}, code=InventoryCode.INVALID_PRICE_ENDING
        )
    return price


def changed_price(price: Decimal, *, percent: Decimal, ending: str) -> Decimal:
    return with_ending(Decimal(price) * (1 + Decimal(percent) / 100), ending)


@dataclass(frozen=True)
class PlannedPrice:
    product: Product
    variant: Variant | None  # None: the product's base price
    was: Decimal
    now: Decimal

    @property
    def variant_id(self) -> int | None:
        return self.variant.pk if self.variant else None

    @property
    def difference(self) -> Decimal:
        return self.now - self.was


def _percent(percent) -> Decimal:
    try:
        value = Decimal(str(percent))
    except (InvalidOperation, TypeError, ValueError):
        value = None
    if value is None or not value.is_finite() or not Decimal("-90") <= value <= Decimal("500") or value == 0:
        raise InventoryError(_("Give a change between -90% and +500%, not 0."), code=InventoryCode.INVALID_PERCENT)
    return value


def _is_market_list(price_list: PriceList | None) -> bool:
    return price_list is not None and not price_list.is_default


def _list_prices_now(price_list: PriceList, *, now: datetime, product_ids=None, variant_ids=None) -> dict:
    """The list's price in force at `now` per variant id (its VariantPrice row), for those products or variants."""
    rows = VariantPrice.objects.filter(price_list=price_list, valid_from__lte=now).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gt=now)
    )
    if product_ids is not None:
        rows = rows.filter(variant__product_id__in=product_ids)
    if variant_ids is not None:
        rows = rows.filter(variant_id__in=[v for v in variant_ids if v])
    return {row.variant_id: row for row in rows.select_related("variant").order_by("variant_id")}


def plan_price_change(
    *, products: QuerySet[Product], percent, ending: str = "", price_list: PriceList | None = None
) -> list[PlannedPrice]:
    """Every price the change would set, was and now: on the default list, each product's base price
    and each variant's own price; on a market's list, each variant's price in force now there.
    Two queries. Prices that would not move are left out."""
    percent = _percent(percent)
    with_ending(ONE, ending)  # an unknown ending is refused before anything is read
    # (the admin's queryset may be annotated or DISTINCT: only its ids are used)
    chosen = {p.pk: p for p in Product.objects.filter(pk__in=products.values("pk")).order_by("pk")[: MAX_PRODUCTS + 1]}
    if len(chosen) > MAX_PRODUCTS:
        raise InventoryError(
            _("Change at most %(max_products)s products at once; import a catalog file for more.")
            % {"max_products": format(MAX_PRODUCTS, ",")},
            code=InventoryCode.TOO_MANY_PRODUCTS,
        )
    ids = list(chosen)
    if _is_market_list(price_list):
        plan: dict[int, list[PlannedPrice]] = {pk: [] for pk in chosen}
        for row in _list_prices_now(price_list, now=timezone.now(), product_ids=ids).values():
            now = changed_price(row.price, percent=percent, ending=ending)
            product = chosen[row.variant.product_id]
            plan[product.pk].append(PlannedPrice(product, row.variant, row.price, now))
    else:
        plan = {
            pk: [PlannedPrice(p, None, p.base_price, changed_price(p.base_price, percent=percent, ending=ending))]
            for pk, p in chosen.items()
        }
        for variant in Variant.objects.filter(product_id__in=ids, price_override__isnull=False).order_by("pk"):
            now = changed_price(variant.price_override, percent=percent, ending=ending)
            plan[variant.product_id].append(
                PlannedPrice(chosen[variant.product_id], variant, variant.price_override, now)
            )
    out = [p for pk in sorted(plan) for p in plan[pk] if p.was != p.now]
    too_high = next((p for p in out if p.now > MAX_PRICE), None)
    if too_high is not None:
        raise InventoryError(
            _("%(style_code)s would cost %(now)s, more than a price can be.")
            % {"style_code": too_high.product.style_code, "now": too_high.now},
            code=InventoryCode.INVALID_PERCENT,
        )
    return out


def fingerprint(plan: list[PlannedPrice]) -> str:
    """A digest of the prices a preview showed: applying refuses when they moved since."""
    text = ";".join(f"{p.product.pk}:{p.variant_id or ''}:{p.was}>{p.now}" for p in plan)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _lock(product_ids, variant_ids=None) -> tuple[dict[int, Product], dict[int, Variant]]:
    """The catalog rows whose prices change, locked: products, then variants, each by pk (without
    `variant_ids`, every variant of those products: one may gain a price of its own meanwhile)."""
    products = Product.objects.select_for_update(of=("self",)).filter(pk__in=set(product_ids)).order_by("pk")
    products = {p.pk: p for p in products}
    variants = Variant.objects.select_for_update(of=("self",)).order_by("pk")
    if variant_ids is None:
        variants = variants.filter(product_id__in=list(products))
    else:
        variants = variants.filter(pk__in={v for v in variant_ids if v})
    return products, {v.pk: v for v in variants}


class _Prices:
    """Prices set in one transaction: one UPDATE per table, one insert into the ledger. On a market's
    list, a variant's price in force now is cut at now and the new one runs until where it would have
    ended (a price entered ahead for later stays)."""

    def __init__(self, products: dict[int, Product], variants: dict[int, Variant], price_list: PriceList | None = None):
        self.products, self.variants, self.rows = products, variants, []
        self.now = timezone.now()
        self.price_list = price_list if _is_market_list(price_list) else None
        self.listed = _list_prices_now(price_list, now=self.now, variant_ids=list(variants)) if self.price_list else {}
        self.list_prices: dict[int, Decimal | None] = {}

    def current(self, product_id: int, variant_id: int | None) -> Decimal | None:
        if self.price_list is not None:
            if variant_id in self.list_prices:
                return self.list_prices[variant_id]
            row = self.listed.get(variant_id)
            return row.price if row is not None else None
        return self.variants[variant_id].price_override if variant_id else self.products[product_id].base_price

    def set(self, product_id: int, variant_id: int | None, price: Decimal | None, **ledger) -> None:
        old = self.current(product_id, variant_id)
        if self.price_list is not None:
            self.list_prices[variant_id] = price
        elif variant_id:
            self.variants[variant_id].price_override = price
        else:
            self.products[product_id].base_price = price
            self.products[product_id].updated_at = self.now
        self.rows.append(
            PriceChange(
                product_id=product_id,
                variant_id=variant_id,
                old_price=old,
                new_price=price,
                created_at=self.now,
                **ledger,
            )
        )

    def save(self) -> int:
        if self.price_list is not None:
            return self._save_list()
        products = sorted({r.product_id for r in self.rows if not r.variant_id})
        variants = sorted({r.variant_id for r in self.rows if r.variant_id})
        Product.objects.bulk_update([self.products[pk] for pk in products], ["base_price", "updated_at"])
        Variant.objects.bulk_update([self.variants[pk] for pk in variants], ["price_override"])
        PriceChange.objects.bulk_create(self.rows, batch_size=1000)
        return len(self.rows)

    def _save_list(self) -> int:
        cut, new = [], []
        for variant_id, price in sorted(self.list_prices.items()):
            row = self.listed.get(variant_id)
            if price is None:  # put back "no price": the variant is no longer sold there from now
                if row is not None:
                    row.valid_to = self.now
                    cut.append(row)
                continue
            end = row.valid_to if row is not None else None
            if row is not None:
                row.valid_to = self.now
                cut.append(row)
            else:  # no price now: the new one runs until the next price entered ahead, if any
                ahead = VariantPrice.objects.filter(price_list=self.price_list, variant_id=variant_id)
                later = ahead.filter(valid_from__gt=self.now).order_by("valid_from").first()
                end = later.valid_from if later is not None else None
            new.append(
                VariantPrice(
                    price_list=self.price_list, variant_id=variant_id, price=price, valid_from=self.now, valid_to=end
                )
            )
        started_now = [r.pk for r in cut if r.valid_from >= self.now]  # an empty span: removed, not cut
        VariantPrice.objects.filter(pk__in=started_now).delete()
        VariantPrice.objects.bulk_update([r for r in cut if r.pk not in started_now], ["valid_to"])
        VariantPrice.objects.bulk_create(new, batch_size=1000)
        PriceChange.objects.bulk_create(self.rows, batch_size=1000)
        return len(self.rows)


@dataclass(frozen=True)
class PriceChangeResult:
    products: int
    prices: int


@transaction.atomic
def change_prices(
    *,
    products: QuerySet[Product],
    percent,
    ending: str = "",
    reason: str = "",
    actor: User | None = None,
    expected: str | None = None,
    price_list: PriceList | None = None,
) -> PriceChangeResult:
    """Change every price of `products` by `percent` now, with an ending, on `price_list` (the
    default: base prices and variants' own prices; a market's: its variants' prices in force now).
    Each price changed is a ledger row naming the list; one audit line for the whole change.

    `expected`: the fingerprint of the preview the merchandiser approved; when a price moved since,
    nothing is written (`prices_moved`). Takes the catalog locks (products, then variants)."""
    reason = (reason or "").strip() or say("inventory.bulk_price_change")
    price_list = price_list or default_price_list()
    # checks before any lock
    plan = plan_price_change(products=products, percent=percent, ending=ending, price_list=price_list)
    locked = _lock({p.product.pk for p in plan})
    plan = plan_price_change(
        products=Product.objects.filter(pk__in=locked[0]), percent=percent, ending=ending, price_list=price_list
    )
    if expected is not None and fingerprint(plan) != expected:
        raise InventoryError(
            _(
                "The prices are not the ones previewed (a price or the change was edited since): "
                "check the new preview and apply again."
            ),
            code=InventoryCode.PRICES_MOVED,
        )
    prices = _Prices(*locked, price_list=price_list)
    text, message = text_and_message(reason, 200)
    for p in plan:
        prices.set(
            p.product.pk, p.variant_id, p.now, price_list=price_list, source=PriceChange.Source.BULK,
            reason=text, message=message, actor=actor,
        )  # fmt: skip
    prices.save()
    changed = len({p.product.pk for p in plan})
    record_audit_event(
        actor=actor,
        action="catalog.prices_changed",
        object_type="inventory.product",
        details={"percent": str(percent), "ending": ending, "reason": text, "products": changed, "prices": len(plan),
                 "price_list": price_list.code},
    )  # fmt: skip
    return PriceChangeResult(products=changed, prices=len(plan))


def record_price_edits(
    *,
    changes: list[tuple[Product, Variant | None, Decimal | None, Decimal | None]],
    source: str,
    reason: "str | Message",
    actor: User | None = None,
) -> int:
    """Ledger rows for prices set elsewhere (the admin's product form, a catalog import): one per
    (product, variant or None, old, new) that really changed. Call it in the transaction that
    saves the prices."""
    price_list, now = default_price_list(), timezone.now()
    reason, message = text_and_message(reason, 200)
    rows = [
        PriceChange(
            price_list=price_list,
            product_id=product.pk,
            variant_id=variant.pk if variant else None,
            old_price=old,
            new_price=new,
            source=source,
            reason=reason,
            message=message,
            actor=actor,
            created_at=now,
        )
        for product, variant, old, new in changes
        if old != new
    ]
    PriceChange.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


# --------------------------------------------------------------------------- schedules


@transaction.atomic
def schedule_price_change(
    *,
    products: QuerySet[Product],
    percent,
    ending: str = "",
    starts_at: datetime,
    ends_at: datetime | None = None,
    name: str,
    reason: str,
    actor: User | None = None,
    expected: str | None = None,
    price_list: PriceList | None = None,
) -> PriceSchedule:
    """Plan a price change that starts at `starts_at` and, with `ends_at`, ends by itself, putting
    back the prices it replaced. Its prices are the preview's, fixed now; nothing changes until it
    starts. Refused when one of these products is in a schedule of the same list not over by then
    (two schedules on one price could not each put back what they replaced). `price_list`: the
    default list unless a market's is chosen."""
    name, reason = (name or "").strip(), (reason or "").strip()
    if not name or not reason:
        raise InventoryError(_("Give the price change a name and a reason."), code=InventoryCode.INVALID_SCHEDULE)
    if ends_at is not None and ends_at <= starts_at:
        raise InventoryError(_("The end must be after the start."), code=InventoryCode.INVALID_SCHEDULE)
    now = timezone.now()
    if (ends_at or starts_at) <= now:
        raise InventoryError(
            _("That period is over already; give a start or an end in the future."), code=InventoryCode.INVALID_SCHEDULE
        )
    price_list = price_list or default_price_list()
    plan = plan_price_change(products=products, percent=percent, ending=ending, price_list=price_list)
    if not plan:
        raise InventoryError(_("None of these prices would change."), code=InventoryCode.INVALID_SCHEDULE)
    if expected is not None and fingerprint(plan) != expected:
        raise InventoryError(
            _(
                "The prices are not the ones previewed (a price or the change was edited since): "
                "check the new preview and schedule again."
            ),
            code=InventoryCode.PRICES_MOVED,
        )
    busy = (
        PriceScheduleLine.objects.filter(
            schedule__status__in=[PriceSchedule.Status.SCHEDULED, PriceSchedule.Status.ACTIVE],
            schedule__price_list=price_list,
            product_id__in=[p.product.pk for p in plan],
        )
        .filter(Q(schedule__ends_at__isnull=True) | Q(schedule__ends_at__gt=starts_at))
        .select_related("schedule", "product")
        .order_by("schedule__starts_at", "pk")
        .first()
    )
    if busy is not None:
        raise InventoryError(
            _("%(style_code)s is already in “%(name)s” (%(value)s): cancel or end that one first.")
            % {
                "style_code": busy.product.style_code,
                "name": busy.schedule.name,
                "value": busy.schedule.get_status_display().lower(),
            },
            code=InventoryCode.SCHEDULE_OVERLAPS,
        )
    schedule = PriceSchedule(
        name=name[:120],
        reason=reason[:200],
        price_list=price_list,
        percent=_percent(percent),
        ending=ending,
        starts_at=starts_at,
        ends_at=ends_at,
        created_by=actor,
        created_at=now,
    )
    schedule.full_clean()
    schedule.save()
    PriceScheduleLine.objects.bulk_create(
        PriceScheduleLine(schedule=schedule, product_id=p.product.pk, variant_id=p.variant_id, was=p.was, price=p.now)
        for p in plan
    )
    record_audit_event(
        actor=actor,
        action="catalog.prices_scheduled",
        obj=schedule,
        details={
            "percent": str(schedule.percent),
            "ending": ending,
            "prices": len(plan),
            "reason": reason,
            "starts_at": starts_at.isoformat(),
            "ends_at": ends_at.isoformat() if ends_at else None,
        },
    )
    return schedule


def _ledger_of(schedule: PriceSchedule, source: str, actor: User | None) -> dict:
    return {
        "price_list_id": schedule.price_list_id,
        "source": source,
        "schedule": schedule,
        "reason": f"{schedule.name}: {schedule.reason}"[:200],
        "actor": actor or schedule.created_by,  # who decided it, unless someone ended it early
    }


def _start(schedule: PriceSchedule, now: datetime) -> None:
    lines = list(schedule.lines.all())
    locked = _lock([x.product_id for x in lines], [x.variant_id for x in lines])
    prices = _Prices(*locked, price_list=schedule.price_list)
    ledger = _ledger_of(schedule, PriceChange.Source.SCHEDULE_START, None)
    for line in lines:
        current = prices.current(line.product_id, line.variant_id)
        if line.variant_id and current is None:
            line.outcome = "not changed: the variant follows its base price now"
            continue
        line.replaced, line.outcome = current, "running" if schedule.ends_at else "set for good"
        if current != line.price:
            prices.set(line.product_id, line.variant_id, line.price, **ledger)
    prices.save()
    PriceScheduleLine.objects.bulk_update(lines, ["replaced", "outcome"])
    schedule.status, schedule.started_at = PriceSchedule.Status.ACTIVE, now
    if schedule.ends_at is None:
        schedule.status, schedule.ended_at = PriceSchedule.Status.ENDED, now
    schedule.save(update_fields=["status", "started_at", "ended_at"])
    record_audit_event(
        actor=None, action="catalog.prices_schedule_started", obj=schedule, details={"prices": len(prices.rows)}
    )


def _end(schedule: PriceSchedule, now: datetime, actor: User | None = None) -> None:
    lines = list(schedule.lines.filter(outcome="running"))
    locked = _lock([x.product_id for x in lines], [x.variant_id for x in lines])
    prices = _Prices(*locked, price_list=schedule.price_list)
    ledger = _ledger_of(schedule, PriceChange.Source.SCHEDULE_END, actor)
    for line in lines:
        current = prices.current(line.product_id, line.variant_id)
        if current != line.price:  # someone set another price while it ran: theirs stays
            line.outcome = f"left at {current}: changed while it ran"
            continue
        if line.replaced != current:
            prices.set(line.product_id, line.variant_id, line.replaced, **ledger)
        line.outcome = "put back"
    prices.save()
    PriceScheduleLine.objects.bulk_update(lines, ["outcome"])
    schedule.status, schedule.ended_at = PriceSchedule.Status.ENDED, now
    schedule.save(update_fields=["status", "ended_at"])
    record_audit_event(
        actor=actor, action="catalog.prices_schedule_ended", obj=schedule, details={"prices": len(prices.rows)}
    )


def run_price_schedules(*, now: datetime | None = None) -> dict[str, int]:
    """Beat task body: start the schedules whose start has come, then end those whose end has
    (one whose whole period passed while beat was down starts and ends in the same run). Each
    schedule in its own transaction, locked (skip locked: two workers never run one twice)."""
    now = now or timezone.now()
    done = {"started": 0, "ended": 0}
    steps = [
        ("started", PriceSchedule.Status.SCHEDULED, Q(starts_at__lte=now), _start),
        ("ended", PriceSchedule.Status.ACTIVE, Q(ends_at__lte=now), _end),
    ]
    for step, status, due, run in steps:
        for pk in PriceSchedule.objects.filter(due, status=status).order_by("pk").values_list("pk", flat=True):
            with transaction.atomic():
                locked = PriceSchedule.objects.select_for_update(skip_locked=True).filter(pk=pk, status=status)
                schedule = locked.first()
                if schedule is not None:
                    run(schedule, now)
                    done[step] += 1
    return done


@transaction.atomic
def cancel_price_schedule(*, schedule: PriceSchedule, actor: User | None = None) -> PriceSchedule:
    """Before it starts: cancelled, nothing changes. While it runs: it ends now (prices put back)."""
    schedule = PriceSchedule.objects.select_for_update().get(pk=schedule.pk)
    now = timezone.now()
    if schedule.status == PriceSchedule.Status.SCHEDULED:
        schedule.status, schedule.ended_at = PriceSchedule.Status.CANCELLED, now
        schedule.save(update_fields=["status", "ended_at"])
        record_audit_event(actor=actor, action="catalog.prices_schedule_cancelled", obj=schedule)
    elif schedule.status == PriceSchedule.Status.ACTIVE:
        _end(schedule, now, actor)
    else:
        raise InventoryError(_("That price change is over already."), code=InventoryCode.SCHEDULE_OVER)
    return schedule
