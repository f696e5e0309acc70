"""Rates as a reader reads them (issue 19, QA in Polish): "1 PLN = 0.23255814 EUR" was written raw whatever
the language; it reads 0,2326 in Italian and Polish, 0.2326 in English. And the "by channel" table's last
column was cut off at 1366 px: its figure now stays in its grid column and the table scrolls in its wrapper."""

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from insights import pages
from insights.currencies import format_rate
from retail.exchange_rates import save_exchange_rate
from retail.models import ExchangeRate
from tests.insights.conftest import october

D = Decimal


@pytest.mark.parametrize(("rate", "language", "shown"), [
    ("0.23255814", "pl", "0,2326"), ("0.23255814", "it", "0,2326"), ("0.23255814", "en-gb", "0.2326"),
    ("4.30000000", "pl", "4,3"), ("0.00251234", "it", "0,002512"), ("1.17647059", "en-gb", "1.1765"),
])  # fmt: skip
def test_a_rate_is_written_by_locale_with_four_significant_places(rate, language, shown):
    with translation.override(language):
        assert format_rate(D(rate)) == shown


@pytest.mark.django_db
def test_the_polish_sales_page_states_the_rate_in_polish(chain, warsaw):
    rate = ExchangeRate(currency="PLN", rate=D("0.23255814"), valid_from=date(2026, 10, 1))
    save_exchange_rate(rate=rate, actor=None)
    with translation.override("pl"):
        data = pages.sales(october())
    label = {c["currency"]: c for c in data["money"]["currencies"]}["PLN"]["rate"]
    assert "0,2326" in label and "0.23255814" not in label and "0,23255814" not in label


@pytest.mark.django_db
def test_the_by_channel_figure_takes_the_row_when_it_has_a_converted_column(client, chain, warsaw):
    from tests.admin.conftest import staff_user

    save_exchange_rate(rate=ExchangeRate(currency="PLN", rate=D("0.2315"), valid_from=date(2026, 10, 1)), actor=None)
    client.force_login(staff_user(superuser=True))
    page = client.get("/portal/insights/?section=sales&start=2026-10-01&end=2026-10-31").content.decode()
    assert 'class="card figure figure-span" aria-labelledby="channels-h"' in page


def test_figures_stay_in_their_column_so_wide_tables_scroll():
    css = (Path(settings.BASE_DIR) / "static/css/omnistore.css").read_text()
    assert re.search(r"\.figure-grid > \* \{ min-width: 0; \}", css)
    assert re.search(r"\.table-wrap \{ overflow-x: auto; \}", css)
    assert re.search(r"\.figure-grid > \.figure-span \{ grid-column: 1 / -1; \}", css)
    # measured at 1366 px with seven Polish columns of złoty amounts: 574 px of table in 574 px (583 before)
    assert re.search(r"\.figure table\.compact th, \.figure table\.compact td \{ padding: 6px 5px; \}", css)
