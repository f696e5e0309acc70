"""What the insights page shows for one section: the selectors' rows, KPIs and SVG charts.

Shared by the managers' portal page and the head-office admin page.
"""

from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings

from insights import charts, selectors
from insights.figures import FIGURES, SECTION_NAMES
from insights.filters import Period, PeriodForm, default_period
from retail.domain.money import money

TOP = 12
OUTCOMES = [("Collected", "#1e7d3a"), ("Expired", "#b3261e"), ("Cancelled", "#b8c2cc"), ("Open", "#1d5fa8")]


def buckets(period: Period, grain: str) -> list[date]:
    """Every bucket start of the period, so days without sales show as zero."""
    if grain == "day":
        start, step = period.start, None
    elif grain == "week":
        start, step = period.start - timedelta(days=period.start.weekday()), None
    else:
        start, step = period.start.replace(day=1), "month"
    result, current = [], start
    while current <= period.end:
        result.append(current)
        if step == "month":
            current = (current.replace(day=28) + timedelta(days=4)).replace(day=1)
        else:
            current += timedelta(days=1 if grain == "day" else 7)
    return result


def bucket_label(value: date, grain: str) -> str:
    if grain == "month":
        return value.strftime("%b %Y")
    return value.strftime("%-d %b")


def _series(rows: list[dict], by: str, keys: list[date], field: str = "net") -> list[tuple[str, list[float]]]:
    known = selectors.channels()
    names = sorted({r[by] for r in rows}, key=lambda n: (known.index(n) if n in known else len(known), n))
    cells = {(r["period"], r[by]): r[field] for r in rows}
    labels = selectors.channel_labels()
    return [(labels.get(name, name), [float(cells.get((k, name), 0)) for k in keys]) for name in names]


def sales(period: Period) -> dict:
    grain = period.grain()
    days, as_of = selectors.sales_days(period) if selectors.by_day(period, grain) else (None, None)
    by_channel, by_store = selectors.sales_overview(period, grain=grain, days=days)
    channel_totals = selectors.sales_totals(by_channel, by="channel")
    store_totals = selectors.sales_totals(by_store, by="store")
    keys = buckets(period, grain)
    labels = [bucket_label(k, grain) for k in keys]
    gross = sum((t["gross"] for t in channel_totals), Decimal("0.00"))
    orders = sum(t["orders"] for t in channel_totals)
    channel_names = selectors.channel_labels()
    return {
        "grain": grain,
        "as_of": as_of,
        "channel_totals": channel_totals,
        "store_totals": store_totals[:TOP],
        "store_count": len(store_totals),
        "sellers": selectors.sales_by_seller(period),
        "kpis": {
            "net": sum((t["net"] for t in channel_totals), Decimal("0.00")),
            "gross": gross,
            "refunds": sum((t["refunds"] for t in channel_totals), Decimal("0.00")),
            "short_picked": sum((t["short_picked"] for t in channel_totals), Decimal("0.00")),
            "orders": orders,
            "average_order": money(gross / orders) if orders else Decimal("0.00"),
        },
        "chart_trend": charts.stacked_columns(
            labels, _series(by_channel, "channel", keys), title=f"Net sales by channel per {grain}"
        ),
        "chart_channels": charts.bar_chart(
            [(channel_names.get(t["channel"], t["channel"]), t["net"]) for t in channel_totals],
            title="Net sales by channel",
            colours=[charts.colour_for(t["channel"], i) for i, t in enumerate(channel_totals)],
            value_format=charts.money_label,
        ),
        "chart_stores": charts.bar_chart(
            [(t["store"], t["net"]) for t in store_totals[:TOP]],
            title=f"Net sales, top {TOP} stores",
            value_format=charts.money_label,
        ),
    }


def customers(period: Period) -> dict:
    data = selectors.channel_customers(period)
    single, multi = data["groups"]
    return {
        **data,
        "single": single,
        "multi": multi,
        "chart_spend": charts.bar_chart(
            [(g["group"], g["average_spend"]) for g in data["by_channel_count"]],
            title="Average spend per customer by number of channels used",
            colours=charts.PALETTE,
            value_format=charts.money_label,
        ),
        "chart_share": charts.stacked_bars(
            [("Customers", [g["customers"] for g in data["by_channel_count"]])],
            [(g["group"], charts.PALETTE[i]) for i, g in enumerate(data["by_channel_count"])],
            title="Customers by number of channels used",
        ),
    }


def pickups(period: Period) -> dict:
    rows = selectors.bopis_by_store(period)
    busiest = sorted(rows, key=lambda r: (-r["pickups"], r["store"]))[:TOP]
    collected = sum(r["collected"] for r in rows)
    expired = sum(r["expired"] for r in rows)
    return {
        "rows": rows,
        "kpis": {
            "pickups": sum(r["pickups"] for r in rows),
            "collected": collected,
            "expired": expired,
            "pickup_rate": round(100 * collected / (collected + expired), 1) if collected + expired else None,
            "short_units": sum(r["short_units"] for r in rows),
        },
        "chart_outcomes": charts.stacked_bars(
            [(r["store"], [r["collected"], r["expired"], r["cancelled"], r["open"]]) for r in busiest],
            OUTCOMES,
            title="Pick-up outcomes by store",
        ),
        "chart_ready": charts.bar_chart(
            [(r["store"], r["avg_hours_to_ready"]) for r in busiest if r["avg_hours_to_ready"] is not None],
            title="Average hours from order to ready",
            unit=" h",
            colours=["#13797f"],
        ),
    }


def returns(period: Period) -> dict:
    reasons = selectors.returns_by_reason(period)
    matrix = selectors.returns_channel_matrix(period)
    methods = selectors.refund_methods(period)
    return {
        "reasons": reasons,
        "matrix": matrix,
        "methods": methods,
        "units_sold": reasons[0]["units_sold"] if reasons else None,
        "chart_reasons": charts.bar_chart(
            [(r["label"], r["units"]) for r in reasons], title="Units returned by reason", colours=["#c77c0e"]
        ),
        "chart_methods": charts.bar_chart(
            [(m["label"], m["amount"]) for m in methods],
            title="Refunded by method",
            colours=charts.PALETTE,
            value_format=charts.money_label,
        ),
    }


def inventory(period: Period) -> dict:
    rows = selectors.stock_by_store(period)
    transfers = selectors.transfer_lead_times(period)
    worst = sorted(rows, key=lambda r: (-(r["stockout_rate"] or 0), r["store"]))[:TOP]
    fastest = sorted(rows, key=lambda r: (-(r["sell_through"] or 0), r["store"]))[:TOP]
    return {
        "rows": rows,
        "transfers": transfers,
        "stock_as_of": rows[0]["stock_as_of"] if rows else None,
        "kpis": {
            "stockouts": sum(r["stockouts"] for r in rows),
            "skus": sum(r["skus"] for r in rows),
            "units_sold": sum(r["units_sold"] for r in rows),
        },
        "chart_stockouts": charts.bar_chart(
            [(r["store"], r["stockout_rate"]) for r in worst],
            title="Share of SKU-locations out of stock",
            unit="%",
            colours=["#b3261e"],
        ),
        "chart_sell_through": charts.bar_chart(
            [(r["store"], r["sell_through"]) for r in fastest], title="Sell-through in the period", unit="%"
        ),
        "chart_transfers": charts.bar_chart(
            [(t["store"], t["avg_hours_lead"]) for t in transfers[:TOP]],
            title="Average transfer lead time (hours)",
            unit=" h",
            colours=["#7a4fa0"],
        ),
    }


def rfm(period: Period) -> dict:
    segments = selectors.rfm_segments(period)
    return {
        "segments": segments,
        "chart_customers": charts.bar_chart(
            [(s["label"], s["customers"]) for s in segments], title="Customers per segment", colours=charts.PALETTE
        ),
        "chart_value": charts.bar_chart(
            [(s["label"], s["lifetime_value"]) for s in segments],
            title="Average lifetime value per segment",
            colours=charts.PALETTE,
            value_format=charts.money_label,
        ),
    }


def giftcards(period: Period) -> dict:
    """One block per currency the cards were loaded in (euros and złoty are never added up), each
    with its own figures and charts; all from the selector's one query."""
    rows = selectors.gift_card_liabilities(period)
    by_currency: dict[str, list[dict]] = {}
    for r in rows:
        by_currency.setdefault(r["currency"], []).append(r)
    if not by_currency:  # no card in the period: the deployment's currency, its figures empty
        by_currency[settings.CURRENCY] = []
    return {"rows": rows, "currencies": [_giftcards_block(code, block) for code, block in by_currency.items()]}


def _giftcards_block(currency: str, rows: list[dict]) -> dict:
    months = sorted({r["month"] for r in rows})
    by_channel: dict[str, Decimal] = {}
    for r in rows:
        by_channel[r["channel_label"]] = by_channel.get(r["channel_label"], Decimal("0.00")) + r["outstanding"]
    cells = {(r["month"], r["channel_label"]): r["outstanding"] for r in rows}
    issued = sum((r["issued"] for r in rows), Decimal("0.00"))
    breakage = sum((r["breakage"] for r in rows), Decimal("0.00"))
    return {
        "currency": currency,
        "rows": rows,
        "kpis": {
            "cards": sum(r["cards"] for r in rows),
            "issued": issued,
            "outstanding": sum((r["outstanding"] for r in rows), Decimal("0.00")),
            "breakage": breakage,
            "breakage_share": round(100 * float(breakage) / float(issued), 1) if issued else None,
        },
        "chart_months": charts.stacked_columns(
            [date.fromisoformat(f"{m}-01").strftime("%b %Y") for m in months],
            [(name, [float(cells.get((m, name), 0)) for m in months]) for name in by_channel],
            title=f"Outstanding now in {currency}, by issue month and channel",
        ),
        "chart_channels": charts.bar_chart(
            list(by_channel.items()),
            title=f"Outstanding now in {currency} by channel",
            colours=charts.PALETTE,
            value_format=charts.money_label,
        ),
    }


def tax(period: Period) -> dict:
    rows = selectors.tax_by_market(period)
    return {
        "rows": rows,
        "chart_due": charts.bar_chart(
            [(f"{r['market']} {r['rate'].normalize():f}% {r['currency']}", r["tax_due"]) for r in rows],
            title="Tax due per market and rate",
            colours=charts.PALETTE,
            value_format=charts.money_label,
        ),
    }


BUILDERS = {
    "sales": sales,
    "customers": customers,
    "pickups": pickups,
    "returns": returns,
    "inventory": inventory,
    "rfm": rfm,
    "giftcards": giftcards,
    "tax": tax,
}


def section_context(section: str, period: Period) -> dict:
    return {
        "section": section,
        "section_name": SECTION_NAMES[section],
        "data": BUILDERS[section](period),
        "figures": [f for f in FIGURES.values() if f.section == section],
    }


def read_request(request, *, stores=None, forced_store_ids: tuple[int, ...] | None = None):
    """(form, period, section) from the GET query: `stores` is what the user may choose from
    (None: no store field, the page is pinned to `forced_store_ids`)."""

    data = request.GET.copy()
    if not data.get("start") and not data.get("end"):
        fallback = default_period()
        data["start"], data["end"] = fallback.start.isoformat(), fallback.end.isoformat()
    form = PeriodForm(data, stores=stores)
    period = form.period(forced_store_ids=forced_store_ids)
    section = request.GET.get("section", "sales")
    if section not in BUILDERS:
        section = "sales"
    return form, period, section
