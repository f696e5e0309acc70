"""What the insights page shows for one section: the selectors' rows, KPIs and SVG charts.

Shared by the managers' portal page and the head-office admin page.
"""

from datetime import date, timedelta
from decimal import Decimal

from django.utils.dateformat import format as date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from insights import charts, currencies, selectors
from insights.figures import FIGURES, SECTION_NAMES
from insights.filters import Period, PeriodForm, default_period
from retail.domain.money import money
from retail.markets import market_currency

TOP = 12
# The chart titles' "per day" (a period's grain, insights.filters.Period.grain).
GRAINS = {"day": gettext_lazy("day"), "week": gettext_lazy("week"), "month": gettext_lazy("month")}
OUTCOMES = [
    (gettext_lazy("Collected"), "#1e7d3a"),
    (gettext_lazy("Expired"), "#b3261e"),
    (gettext_lazy("Cancelled"), "#b8c2cc"),
    (gettext_lazy("Open"), "#1d5fa8"),
]


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
    """The bucket in the reader's language ("Dec 2026", "7 Dec"; month names from Django's catalogs)."""
    return date_format(value, "M Y" if grain == "month" else "j M")


def _series(rows: list[dict], by: str, keys: list[date], field: str = "net") -> list[tuple[str, list[float]]]:
    known = selectors.channels()
    names = sorted({r[by] for r in rows}, key=lambda n: (known.index(n) if n in known else len(known), n))
    cells: dict = {}
    for r in rows:  # a bucket of a channel in two currencies: both converted, added (None: no rate, left out)
        cells[(r["period"], r[by])] = cells.get((r["period"], r[by]), 0) + (r[field] or 0)
    labels = selectors.channel_labels()
    return [(labels.get(name, name), [float(cells.get((k, name), 0)) for k in keys]) for name in names]


SALES_MONEY = ("gross", "shipping", "short_picked", "refunds", "net")


def _summed_converted(rows: list[dict], by: str) -> list[tuple[str, Decimal]]:
    """Net per channel (or store) in the reporting currency, its currencies added once converted;
    what has no rate is left out (the page says which)."""
    summed: dict[str, Decimal] = {}
    for r in rows:
        if r["net_converted"] is not None:
            summed[r[by]] = summed.get(r[by], Decimal("0.00")) + r["net_converted"]
    return sorted(summed.items(), key=lambda item: (-item[1], item[0]))


def _share(part: Decimal, whole: Decimal) -> float | None:
    return round(100 * float(part) / float(whole), 1) if whole else None


def _ranked(totals: list[dict], by: str) -> list[dict]:
    """Largest converted net first, each row's share of the converted net (in one currency: as
    before); rows of a currency without a rate last, with no share."""
    whole = sum((t["net_converted"] for t in totals if t["net_converted"] is not None), Decimal("0.00"))
    for t in totals:
        t["share"] = None if t["net_converted"] is None else _share(t["net_converted"], whole)
    return sorted(totals, key=lambda t: (t["net_converted"] is None, -(t["net_converted"] or 0), t[by], t["currency"]))


SELLER_MONEY = ("sold_total", "paid_total")


def _leaderboard(sellers: list[dict]) -> list[dict]:
    """Sellers by what they were paid, converted into the reporting currency (a seller selling in two
    currencies has a row for each); rows of a currency without a rate last."""
    return sorted(sellers, key=lambda s: (s["paid_total_converted"] is None, -(s["paid_total_converted"] or 0),
                                          s["seller"], s["currency"]))  # fmt: skip


def sales(period: Period) -> dict:
    """Sales per currency (euros and złoty never added), and converted into the reporting currency
    at the rates of the period's last day for the totals and charts (the page states each rate)."""
    grain = period.grain()
    days, as_of = selectors.sales_days(period) if selectors.by_day(period, grain) else (None, None)
    by_channel, by_store = selectors.sales_overview(period, grain=grain, days=days)
    channel_totals = selectors.sales_totals(by_channel, by="channel")
    store_totals = selectors.sales_totals(by_store, by="store")
    sellers = selectors.sales_by_seller(period)
    held = {t["currency"] for t in channel_totals} | {t["currency"] for t in store_totals}
    rates = currencies.converter(period, held | {s["currency"] for s in sellers})
    channel_totals = _ranked(currencies.with_converted(channel_totals, SALES_MONEY, rates), "channel")
    store_totals = _ranked(currencies.with_converted(store_totals, SALES_MONEY, rates), "store")
    by_channel = currencies.with_converted(by_channel, ("net",), rates)
    summed = currencies.by_currency(channel_totals, SALES_MONEY, rates, count="orders")
    keys = buckets(period, grain)
    labels = [bucket_label(k, grain) for k in keys]
    converted_orders = sum(c["orders"] for c in summed["currencies"] if c["currency"] not in summed["missing"])
    gross = summed["total"]["gross"]
    channel_names = selectors.channel_labels()
    by_channel_converted = _summed_converted(channel_totals, "channel")
    by_store_converted = _summed_converted(store_totals, "store")[:TOP]
    reporting = rates.reporting
    return {
        "grain": grain,
        "as_of": as_of,
        "money": summed,
        "reporting_currency": reporting,
        "channel_totals": channel_totals,
        "store_totals": store_totals[:TOP],
        "store_count": len(store_totals),
        "sellers": _leaderboard(currencies.with_converted(sellers, SELLER_MONEY, rates)),
        "sellers_several": len({s["currency"] for s in sellers} | {rates.reporting}) > 1,
        "kpis": {
            **{name: summed["total"][name] for name in SALES_MONEY},
            "orders": summed["total"]["orders"],
            "average_order": money(gross / converted_orders, reporting) if converted_orders else Decimal("0.00"),
        },
        "chart_trend": charts.stacked_columns(
            labels,
            _series(by_channel, "channel", keys, "net_converted"),
            title=(
                _("Net sales in %(currency)s by channel per %(grain)s")
                if summed["several"]
                else _("Net sales by channel per %(grain)s")
            )
            % {"currency": reporting, "grain": GRAINS[grain]},
        ),
        "chart_channels": charts.bar_chart(
            [(channel_names.get(name, name), net) for name, net in by_channel_converted],
            title=_("Net sales in %(currency)s by channel") % {"currency": reporting}
            if summed["several"]
            else _("Net sales by channel"),
            colours=[charts.colour_for(name, i) for i, (name, _) in enumerate(by_channel_converted)],
            value_format=charts.money_label,
        ),
        "chart_stores": charts.bar_chart(
            by_store_converted,
            title=(
                _("Net sales in %(currency)s, top %(top)s stores")
                if summed["several"]
                else _("Net sales, top %(top)s stores")
            )
            % {"currency": reporting, "top": TOP},
            value_format=charts.money_label,
        ),
    }


def customers(period: Period) -> dict:
    """Spend in the reporting currency, each order converted at the rates of the period's last day."""
    data = selectors.channel_customers(period, rates=currencies.market_converter(period))
    single, multi = data["groups"]
    return {
        **data,
        "single": single,
        "multi": multi,
        "chart_spend": charts.bar_chart(
            [(g["group"], g["average_spend"]) for g in data["by_channel_count"]],
            title=_("Average spend per customer in %(currency)s by number of channels used")
            % {"currency": data["reporting"]},
            colours=charts.PALETTE,
            value_format=charts.money_label,
        ),
        "chart_share": charts.stacked_bars(
            [(_("Customers"), [g["customers"] for g in data["by_channel_count"]])],
            [(g["group"], charts.PALETTE[i]) for i, g in enumerate(data["by_channel_count"])],
            title=_("Customers by number of channels used"),
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
            title=_("Pick-up outcomes by store"),
        ),
        "chart_ready": charts.bar_chart(
            [(r["store"], r["avg_hours_to_ready"]) for r in busiest if r["avg_hours_to_ready"] is not None],
            title=_("Average hours from order to ready"),
            unit=" h",
            colours=["#13797f"],
        ),
    }


def returns(period: Period) -> dict:
    """Returns by reason, the channel matrix and refund methods, each amount in its currency and
    converted at one set of stated rates (the period's last day) for the totals and charts."""
    reasons = selectors.returns_by_reason(period)
    matrix = selectors.returns_channel_matrix(period)
    methods = selectors.refund_methods(period)
    held = {m["currency"] for m in methods} | {r["currency"] for r in reasons} | {r["currency"] for r in matrix["rows"]}
    rates = currencies.converter(period, held)
    methods = currencies.with_converted(methods, ("amount",), rates)
    refunded = currencies.by_currency(methods, ("amount",), rates, count="returns")
    reasons = currencies.with_converted(reasons, ("amount",), rates)
    reasons_value = currencies.by_currency(reasons, ("amount",), rates, count="units")
    matrix_refunds = currencies.by_currency(matrix["rows"], ("refunds",), rates, count="returns")
    by_method: dict[str, Decimal] = {}
    for m in methods:
        if m["amount_converted"] is not None:
            by_method[m["label"]] = by_method.get(m["label"], Decimal("0.00")) + m["amount_converted"]
    units_by_reason: dict[str, int] = {}
    for r in reasons:  # units add up across currencies; the chart counts units, not money
        units_by_reason[r["label"]] = units_by_reason.get(r["label"], 0) + r["units"]
    return {
        "reasons": reasons,
        "reasons_value": reasons_value,
        "reasons_several": len(held | {rates.reporting}) > 1,
        "matrix": matrix,
        "matrix_refunds": matrix_refunds,
        "methods": methods,
        "refunded": refunded,
        "units_sold": reasons[0]["units_sold"] if reasons else None,
        "chart_reasons": charts.bar_chart(
            list(units_by_reason.items()), title=_("Units returned by reason"), colours=["#c77c0e"]
        ),
        "chart_methods": charts.bar_chart(
            list(by_method.items()),
            title=_("Refunded by method in %(currency)s") % {"currency": rates.reporting}
            if refunded["several"]
            else _("Refunded by method"),
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
            title=_("Share of SKU-locations out of stock"),
            unit="%",
            colours=["#b3261e"],
        ),
        "chart_sell_through": charts.bar_chart(
            [(r["store"], r["sell_through"]) for r in fastest], title=_("Sell-through in the period"), unit="%"
        ),
        "chart_transfers": charts.bar_chart(
            [(t["store"], t["avg_hours_lead"]) for t in transfers[:TOP]],
            title=_("Average transfer lead time (hours)"),
            unit=" h",
            colours=["#7a4fa0"],
        ),
    }


def rfm(period: Period) -> dict:
    """Spend and lifetime value in the reporting currency, each order converted at the rates of the
    period's last day; a currency without a rate is named and left out."""
    rates = currencies.market_converter(period)
    segments = selectors.rfm_segments(period, rates=rates)
    return {
        "segments": segments,
        "reporting_currency": rates.reporting,
        "rates": [rates.rate_label(c.currency) for c in rates.used],
        "day": rates.day,
        **selectors.rfm_left_out(period, rates),
        "chart_customers": charts.bar_chart(
            [(s["label"], s["customers"]) for s in segments], title=_("Customers per segment"), colours=charts.PALETTE
        ),
        "chart_value": charts.bar_chart(
            [(s["label"], s["lifetime_value"]) for s in segments],
            title=_("Average lifetime value per segment in %(currency)s") % {"currency": rates.reporting},
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
    if not by_currency:  # no card in the period: the home market's currency, its figures empty
        by_currency[market_currency()] = []
    # What is owed now, converted at today's rates (a liability is measured now, not at the period's end).
    rates = currencies.converter(period, set(by_currency), day=currencies.today())
    owed = currencies.by_currency(rows, ("issued", "outstanding", "breakage"), rates, count="cards")
    return {
        "rows": rows,
        "owed": owed,
        "currencies": [_giftcards_block(code, block) for code, block in by_currency.items()],
    }


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
            [date_format(date.fromisoformat(f"{m}-01"), "M Y") for m in months],
            [(name, [float(cells.get((m, name), 0)) for m in months]) for name in by_channel],
            title=_("Outstanding now in %(currency)s, by issue month and channel") % {"currency": currency},
        ),
        "chart_channels": charts.bar_chart(
            list(by_channel.items()),
            title=_("Outstanding now in %(currency)s by channel") % {"currency": currency},
            colours=charts.PALETTE,
            value_format=charts.money_label,
        ),
    }


def tax(period: Period) -> dict:
    """The rows, and a chart of the tax due per currency (złoty and euros are never drawn on one axis: each
    currency's bars are scaled to that currency's largest, and every bar's value says its currency). One scale
    per currency rather than converted bars: tax is owed in the currency it was charged in, and a converted
    bar would change with the rate, not with the tax."""
    rows = selectors.tax_by_market(period)
    rates = currencies.converter(period, {r["currency"] for r in rows})
    by_currency: dict[str, list[dict]] = {}
    for r in rows:
        by_currency.setdefault(r["currency"], []).append(r)
    charts_due = [
        charts.bar_chart(
            [(f"{r['market']} {r['rate'].normalize():f}%", r["tax_due"]) for r in block],
            title=_("Tax due per market and rate (%(currency)s)") % {"currency": code},
            colours=charts.PALETTE,
            value_format=charts.money_label_in(code),
        )
        for code, block in sorted(by_currency.items())
    ]
    if not charts_due:
        charts_due = [charts.empty_chart(_("Tax due per market and rate"))]
    totals = currencies.by_currency(rows, ("net", "tax", "gross", "returned_tax", "cancelled_tax", "tax_due"), rates)
    return {"rows": rows, "totals": totals, "charts_due": charts_due}


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
