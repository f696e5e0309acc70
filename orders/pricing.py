"""Money arithmetic of orders: to the cent, with deterministic remainders."""

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def money(value) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def allocate(total: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """Split `total` over `weights` in proportion, to the cent; the parts sum exactly to `total`.

    Largest-remainder method: every part is first rounded down, then the left-over cents go one
    each to the parts with the largest remainders (ties: the earlier line). Deterministic, so a
    later partial return refunds exactly what that line paid.
    """
    total = money(total)
    if not weights:
        return []
    weight_sum = sum(weights, Decimal("0"))
    if weight_sum <= 0:
        raise ValueError("Cannot allocate over zero weights.")
    cents = int(total / CENT)
    exact = [Decimal(cents) * w / weight_sum for w in weights]
    floors = [int(e.to_integral_value(rounding=ROUND_DOWN)) for e in exact]
    left = cents - sum(floors)
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return [Decimal(c) * CENT for c in floors]


def unit_share(line_total: Decimal, quantity: int, start: int, count: int) -> Decimal:
    """What units start+1 .. start+count of a line paid (the line's total split to the cent).

    cumulative(n) = floor(total x n / quantity) cents, and cumulative(quantity) = total, so the
    shares of all units always add up to the line total however the units are returned.
    """
    if not (start >= 0 and count >= 0 and start + count <= quantity):
        raise ValueError("Units out of range for this line.")
    cents = int(money(line_total) / CENT)

    def cumulative(n: int) -> int:
        return cents if n == quantity else (cents * n) // quantity

    return Decimal(cumulative(start + count) - cumulative(start)) * CENT
