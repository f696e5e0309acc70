"""Read-only KPIs over every app, computed by the database (aggregates, CASE, window functions).

Every figure takes a `Period` (days on each store's own clock, stores or all) and returns a list
of plain dicts: one row per group, ready for a table, a chart and a CSV. Python only reshapes the
few aggregated rows the database returns; it never loops over orders, lines or customers.

Definitions (also shown on the page):
- Sales: orders placed in the period at the chosen stores (`Order.store`, the selling or
  fulfilling store), not cancelled. gross = order totals (after discounts); short-picked = the
  paid share of units not found at picking and cancelled (never charged); refunds = refund_total
  of returns of those orders that were refunded or exchanged (attributed to the order's channel,
  store and day, so a month's refunds reduce the month they were sold in); net = gross -
  short-picked - refunds.
- Multichannel customer: a known customer whose non-cancelled orders placed in the period at the
  chosen stores used two or more order channels (app, web, store, phone, kiosk). Browsing events
  are not counted: spending on a second channel is the claim being tested.
"""

from insights.selectors._common import MONEY, ZERO, Median, channel_labels, channels, sold_orders
from insights.selectors.customers import (
    RFM_LABELS,
    RFM_SEGMENTS,
    channel_customers,
    rfm_customers,
    rfm_left_out,
    rfm_segments,
)
from insights.selectors.giftcards import gift_card_liabilities
from insights.selectors.pickups import bopis_by_store
from insights.selectors.returns import (
    received_returns,
    refund_methods,
    returns_by_reason,
    returns_channel_matrix,
    units_sold,
)
from insights.selectors.sales import sales_overview, sales_series, sales_totals
from insights.selectors.sales_days import (
    SALES_DAY_KEY,
    SALES_DAY_SECONDS,
    by_day,
    forget_sales_days,
    refresh_sales_days,
    sales_days,
)
from insights.selectors.sales_sql import PROBED_REFUNDS_DAYS
from insights.selectors.sellers import sales_by_seller
from insights.selectors.stock import (
    STOCK_SUMMARY_KEY,
    STOCK_SUMMARY_SECONDS,
    stock_by_store,
    stock_summary,
    transfer_lead_times,
)
from insights.selectors.tax import tax_by_market
from insights.selectors.today import store_today

__all__ = [
    "MONEY",
    "PROBED_REFUNDS_DAYS",
    "RFM_LABELS",
    "RFM_SEGMENTS",
    "SALES_DAY_KEY",
    "SALES_DAY_SECONDS",
    "STOCK_SUMMARY_KEY",
    "STOCK_SUMMARY_SECONDS",
    "ZERO",
    "Median",
    "bopis_by_store",
    "by_day",
    "channel_customers",
    "channel_labels",
    "channels",
    "forget_sales_days",
    "gift_card_liabilities",
    "received_returns",
    "refresh_sales_days",
    "refund_methods",
    "returns_by_reason",
    "returns_channel_matrix",
    "rfm_customers",
    "rfm_left_out",
    "rfm_segments",
    "sales_by_seller",
    "sales_days",
    "sales_overview",
    "sales_series",
    "sales_totals",
    "sold_orders",
    "stock_by_store",
    "stock_summary",
    "store_today",
    "tax_by_market",
    "transfer_lead_times",
    "units_sold",
]
