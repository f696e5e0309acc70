"""Every figure of the insights pages: its section, title, selector and CSV columns.

The page and the CSV download call the same selector with the same period, so the download is
exactly the table on the screen.
"""

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from insights import selectors
from insights.currencies import converted_csv_rows
from insights.filters import Period
from retail.spreadsheets import csv_writer


@dataclass(frozen=True)
class Figure:
    slug: str
    section: str
    title: str  # lazy: the reader's language
    rows: Callable[[Period], list[dict]]
    columns: tuple[str, ...]


SECTIONS = [
    ("sales", _("Sales")),
    ("customers", _("Customers")),
    ("pickups", _("Click-and-collect")),
    ("returns", _("Returns")),
    ("inventory", _("Inventory")),
    ("rfm", _("RFM & lifetime value")),
    ("giftcards", _("Gift cards")),
    ("tax", _("Tax")),
]
SECTION_NAMES = dict(SECTIONS)


def _channel_customer_rows(period: Period) -> list[dict]:
    data = selectors.channel_customers(period)
    return [*data["groups"], *data["by_channel_count"]]


_SALES = ("currency", "orders", "gross", "shipping", "short_picked", "refunds", "net")
# Each row in its order's currency, then the same converted (empty without a rate on the day stated).
_CONVERTED = ("reporting_currency", "rate", "rate_from", "net_converted")

FIGURES: dict[str, Figure] = {
    f.slug: f
    for f in (
        Figure(
            "sales-by-channel",
            "sales",
            _("Net sales by channel over time"),
            converted_csv_rows(lambda p: selectors.sales_series(p, by="channel"), ("net",)),
            ("period", "channel", *_SALES, *_CONVERTED),
        ),
        Figure(
            "sales-by-store",
            "sales",
            _("Net sales by store over time"),
            converted_csv_rows(lambda p: selectors.sales_series(p, by="store"), ("net",)),
            ("period", "store", *_SALES, *_CONVERTED),
        ),
        Figure(
            "sales-by-seller",
            "sales",
            _("Assisted sales by seller (commission report)"),
            converted_csv_rows(selectors.sales_by_seller, ("sold_total", "paid_total")),
            (
                "seller",
                "seller_email",
                "currency",
                "orders",
                "sold",
                "sold_total",
                "paid",
                "paid_total",
                "awaiting",
                "unpaid",
                "stores",
                *_CONVERTED[:3],
                "sold_total_converted",
                "paid_total_converted",
            ),
        ),
        Figure(
            "channel-customers",
            "customers",
            _("Single- vs multichannel customers"),
            _channel_customer_rows,
            (
                "group",
                "currency",
                "customers",
                "share",
                "orders",
                "spend",
                "average_spend",
                "orders_per_customer",
                "average_order",
            ),
        ),
        Figure(
            "pickups",
            "pickups",
            _("Click-and-collect by store"),
            selectors.bopis_by_store,
            (
                "store",
                "store_name",
                "pickups",
                "orders",
                "collected",
                "expired",
                "cancelled",
                "open",
                "avg_hours_to_ready",
                "median_hours_to_ready",
                "pickup_rate",
                "expiry_rate",
                "short_pickups",
                "short_units",
            ),
        ),
        Figure(
            "return-reasons",
            "returns",
            _("Returns by reason"),
            converted_csv_rows(selectors.returns_by_reason, ("amount",)),
            (
                "reason",
                "label",
                "currency",
                "lines",
                "units",
                "amount",
                "share",
                "return_rate",
                "units_sold",
                *_CONVERTED[:3],
                "amount_converted",
            ),
        ),
        Figure(
            "return-channels",
            "returns",
            _("Channel bought vs channel returned"),
            converted_csv_rows(lambda p: selectors.returns_channel_matrix(p)["rows"], ("refunds",)),
            ("bought", "returned", "currency", "returns", "refunds", *_CONVERTED[:3], "refunds_converted"),
        ),
        Figure(
            "refund-methods",
            "returns",
            _("Refund method"),
            converted_csv_rows(selectors.refund_methods, ("amount",)),
            ("method", "label", "currency", "returns", "share", "amount", *_CONVERTED[:3], "amount_converted"),
        ),
        Figure(
            "stock",
            "inventory",
            _("Stockouts and sell-through by location"),
            selectors.stock_by_store,
            (
                "store",
                "store_name",
                "skus",
                "stockouts",
                "stockout_rate",
                "units_sold",
                "on_hand",
                "sell_through",
                "stock_as_of",
            ),
        ),
        Figure(
            "transfers",
            "inventory",
            _("Transfer lead time by destination"),
            selectors.transfer_lead_times,
            ("store", "store_name", "transfers", "avg_hours_lead", "median_hours_lead", "avg_hours_to_ship"),
        ),
        Figure(
            "rfm",
            "rfm",
            _("RFM segments and lifetime value"),
            selectors.rfm_segments,
            (
                "segment",
                "label",
                "currency",
                "customers",
                "share",
                "avg_recency_days",
                "avg_orders",
                "avg_spend",
                "lifetime_value",
                "lifetime_total",
            ),
        ),
        Figure(
            "gift-card-liabilities",
            "giftcards",
            _("Gift card liabilities by currency, issue month and channel"),
            selectors.gift_card_liabilities,
            (
                "currency",
                "month",
                "channel",
                "channel_label",
                "cards",
                "issued",
                "redeemed",
                "refunded",
                "breakage",
                "expired_cards",
                "outstanding",
                "redeemed_share",
            ),
        ),
        Figure(
            "tax-by-market",
            "tax",
            _("Tax per market and rate"),
            selectors.tax_by_market,
            (
                "market",
                "market_name",
                "currency",
                "rate",
                "lines",
                "shipping_charges",
                "net",
                "tax",
                "gross",
                "returned_gross",
                "returned_tax",
                "cancelled_tax",
                "tax_due",
            ),
        ),
    )
}


CSV_CHUNK_ROWS = 500


def csv_lines(figure: Figure, rows: list[dict]) -> Iterator[str]:
    """The figure's rows as CSV text (header first) for a StreamingHttpResponse, in chunks of
    CSV_CHUNK_ROWS lines (one chunk per line cost more than writing them: 5.6k rows at large)."""
    buffer = io.StringIO()
    writer = csv_writer(buffer)
    writer.writerow(figure.columns)
    columns = figure.columns
    for i, row in enumerate(rows, start=1):
        writer.writerow([_cell(row.get(c)) for c in columns])
        if i % CSV_CHUNK_ROWS == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    if tail := buffer.getvalue():
        yield tail


def _cell(value):
    """Text that a spreadsheet would run as a formula is quoted; numbers and dates stay as they are."""
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
