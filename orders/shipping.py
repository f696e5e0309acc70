"""What a shipping method costs for a parcel, said once (issue 19.4). No database: a rate and a
parcel in, a price or the reason there is none out.

    rate = Rate(basis="weight", bands=(Band(Decimal(1000), Decimal("4.99")), Band(None, Decimal("9.99"))),
                free_over=Decimal("50.00"))
    quote(rate, Parcel(goods=Decimal("20.00"), grams=1500))   # Quote(price=Decimal('9.99'), reason='')
    quote(rate, Parcel(goods=Decimal("50.00"), grams=1500))   # free: the goods reach 50.00

Free over a threshold wins over everything (a parcel whose weight is unknown ships free too). Bands
are "up to and including": the lowest band whose limit the parcel does not pass prices it; the band
without a limit takes what passes every other; a parcel past every band has no price.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

ZERO = Decimal("0.00")

FLAT, WEIGHT, ORDER_VALUE = "flat", "weight", "order_value"

# Why a method has no price for a parcel (machine words; the service says them in sentences).
WEIGHT_UNKNOWN = "weight_unknown"
TOO_HEAVY = "too_heavy"
TOO_VALUABLE = "too_valuable"
NO_BANDS = "no_bands"


@dataclass(frozen=True)
class Band:
    up_to: Decimal | None  # grams or money, inclusive; None: everything above the other bands
    price: Decimal


@dataclass(frozen=True)
class Rate:
    basis: str
    price: Decimal = ZERO  # the flat rate
    bands: tuple[Band, ...] = ()
    free_over: Decimal | None = None


@dataclass(frozen=True)
class Parcel:
    """What is shipped: the goods' value after discounts, and their weight (None: an item has none)."""

    goods: Decimal
    grams: int | None


@dataclass(frozen=True)
class Quote:
    price: Decimal | None  # None: the method cannot ship this parcel
    reason: str = ""  # why not, when price is None
    free: bool = False  # free because the goods reached the threshold

    @property
    def available(self) -> bool:
        return self.price is not None


def quote(rate: Rate, parcel: Parcel) -> Quote:
    if rate.free_over is not None and parcel.goods >= rate.free_over:
        return Quote(ZERO, free=True)
    if rate.basis == FLAT:
        return Quote(rate.price)
    if rate.basis == WEIGHT:
        if parcel.grams is None:
            return Quote(None, WEIGHT_UNKNOWN)
        return _banded(rate.bands, Decimal(parcel.grams), TOO_HEAVY)
    if rate.basis == ORDER_VALUE:
        return _banded(rate.bands, parcel.goods, TOO_VALUABLE)
    raise ValueError(f"Unknown basis {rate.basis!r}.")


def _banded(bands: Iterable[Band], measure: Decimal, too_much: str) -> Quote:
    bands = list(bands)
    if not bands:
        return Quote(None, NO_BANDS)
    limited = sorted((b for b in bands if b.up_to is not None), key=lambda b: b.up_to)
    for band in limited:
        if measure <= band.up_to:
            return Quote(band.price)
    open_band = next((b for b in bands if b.up_to is None), None)
    if open_band is not None:
        return Quote(open_band.price)
    return Quote(None, too_much)


def parcel_weight(weights: Iterable[tuple[int | None, int]]) -> int | None:
    """The grams of (unit grams, quantity) pairs; None when any unit's weight is unknown."""
    total = 0
    for grams, quantity in weights:
        if grams is None:
            return None
        total += grams * quantity
    return total
