"""The managers' insights page and the head-office admin: access, scoping, filters, CSV, query counts."""

import csv
import io
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from insights import figures, selectors
from insights.figures import FIGURES, SECTIONS
from insights.tasks import refresh_stock_summary
from inventory.models import StockLevel
from retail.models import StoreMembership
from tests.factories import UserFactory
from tests.helpers import enrol_totp
from tests.insights.conftest import at, make_order, october, staff
from tests.inventory.factories import VariantFactory

pytestmark = pytest.mark.django_db

URL = "/portal/insights/"
OCT = "start=2026-10-01&end=2026-10-31"


def read_csv(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_an_associate_cannot_open_insights(client, chain):
    # given
    client.force_login(staff(chain.lon, StoreMembership.Role.ASSOCIATE, mfa=False))
    # when
    page = client.get(URL)
    download = client.get(f"{URL}csv/sales-by-channel/")
    # then
    assert page.status_code == 302 and page["Location"] == "/portal/"
    assert download.status_code == 302


def test_head_office_with_the_insights_permission_reads_the_chain_in_the_portal(client, chain):
    # given head office's login of the demo: staff, no store membership, the insights permission
    from django.contrib.auth.models import Permission

    user = UserFactory(is_staff=True)
    user.user_permissions.add(Permission.objects.get(content_type__app_label="insights", codename="view_report"))
    enrol_totp(user)
    client.force_login(user)
    # when they open Insights from the top bar (it sent them back: 'Only a manager of this store')
    page = client.get(f"{URL}?{OCT}&section=tax")
    download = client.get(f"{URL}csv/sales-by-store/?{OCT}")
    # then the page and its CSVs answer, with every store to choose from
    assert page.status_code == 200 and download.status_code == 200
    assert {chain.lon.pk, chain.man.pk} <= {s.pk for s in page.context["form"].fields["store"].queryset}


def test_a_manager_sees_their_own_store_only_whatever_the_query_asks(manager_client, chain):
    # when: the query names Manchester too
    page = manager_client.get(f"{URL}?{OCT}&store={chain.man.pk}").content.decode()
    rows = read_csv(manager_client.get(f"{URL}csv/sales-by-store/?{OCT}&store={chain.man.pk}"))
    # then: London's 210.00 net, never the chain's 250.00 or Manchester's rows
    assert "Covent Garden (LON-01)" in page and 'name="store"' not in page
    assert "€210.00" in page and "€250.00" not in page
    assert {row[1] for row in rows[1:]} == {"LON-01"}


def test_a_superuser_sees_every_store_or_the_ones_chosen(superuser_client, chain):
    # when
    everything = superuser_client.get(f"{URL}?{OCT}").content.decode()
    manchester = superuser_client.get(f"{URL}?{OCT}&store={chain.man.pk}").content.decode()
    # then
    assert "All stores" in everything and "€250.00" in everything
    assert "€40.00" in manchester and "MAN-01" in manchester and "€210.00" not in manchester


@pytest.mark.parametrize("section", [key for key, _ in SECTIONS])
def test_every_section_renders_svg_charts_without_inline_script_or_style(superuser_client, chain, section):
    # when
    response = superuser_client.get(f"{URL}?{OCT}&section={section}")
    html = response.content.decode()
    # then
    assert response.status_code == 200
    assert '<svg class="chart"' in html and 'role="img"' in html
    assert 'style="' not in html and "<script>" not in html
    for figure in FIGURES.values():
        assert (f"/portal/insights/csv/{figure.slug}/" in html) == (figure.section == section)


def test_each_csv_download_is_the_figure_on_the_page(superuser_client, chain):
    for figure in FIGURES.values():
        # when
        rows = read_csv(superuser_client.get(f"{URL}csv/{figure.slug}/?{OCT}"))
        # then
        expected = figure.rows(october())
        assert rows[0] == list(figure.columns)
        assert len(rows) - 1 == len(expected), figure.slug
        for line, row in zip(rows[1:], expected, strict=True):
            assert line == ["" if row[c] is None else str(row[c]) for c in figure.columns], figure.slug
    sales = read_csv(superuser_client.get(f"{URL}csv/sales-by-channel/?{OCT}"))
    assert sum(Decimal(r[-1]) for r in sales[1:]) == Decimal("250.00")


def test_a_csv_streams_in_chunks_of_whole_lines(superuser_client, chain, monkeypatch):
    # given: two lines a chunk
    monkeypatch.setattr(figures, "CSV_CHUNK_ROWS", 2)
    expected = FIGURES["sales-by-store"].rows(october())
    # when
    response = superuser_client.get(f"{URL}csv/sales-by-store/?{OCT}")
    chunks = [chunk.decode() for chunk in response.streaming_content]
    # then: header and rows, every chunk ends a line, one chunk per two rows (the header rides with the first)
    assert len(expected) >= 3
    assert len(chunks) == -(-len(expected) // 2)
    assert all(chunk.endswith("\r\n") for chunk in chunks)
    lines = list(csv.reader(io.StringIO("".join(chunks))))
    assert lines[0] == list(FIGURES["sales-by-store"].columns) and len(lines) == len(expected) + 1


def test_bad_dates_are_form_errors_and_the_default_period_is_shown(superuser_client, chain):
    # when
    reversed_range = superuser_client.get(f"{URL}?start=2026-10-31&end=2026-10-01")
    nonsense = superuser_client.get(f"{URL}?start=yesterday&store=999999")
    # then
    assert reversed_range.status_code == 200
    assert "The start date must be on or before the end date." in reversed_range.content.decode()
    assert nonsense.status_code == 200
    html = nonsense.content.decode()
    assert "Enter a valid date." in html and "Select a valid choice." in html


def test_an_unknown_figure_is_a_404(superuser_client, chain):
    assert superuser_client.get(f"{URL}csv/nope/").status_code == 404


def test_queries_are_the_same_for_10_or_200_orders(superuser_client, chain, django_assert_num_queries):
    # given
    variant = VariantFactory()

    def add_orders(count: int):
        for i in range(count):
            make_order(
                store=chain.lon if i % 2 else chain.man,
                channel=["app", "web", "store"][i % 3],
                placed_at=at(10, 1 + i % 28, 10),
                total="12.50",
                customer=[chain.a, chain.b, chain.c][i % 3],
                kind="pickup",
                ready_at=at(10, 1 + i % 28, 11),
                variant=variant,
            )

    add_orders(10)
    october_days = (october().start, october().end)
    superuser_client.get(URL)  # session and store choice settled
    counts = {}
    for section, _ in SECTIONS:
        cache.delete(selectors.STOCK_SUMMARY_KEY)  # every request measured cold: the most queries it can take
        selectors.forget_sales_days(*october_days)
        with CaptureQueriesContext(connection) as captured:
            assert superuser_client.get(f"{URL}?{OCT}&section={section}").status_code == 200
        counts[section] = len(captured.captured_queries)
    # when
    add_orders(190)
    # then
    for section, _ in SECTIONS:
        cache.delete(selectors.STOCK_SUMMARY_KEY)
        selectors.forget_sales_days(*october_days)
        with django_assert_num_queries(counts[section]):
            superuser_client.get(f"{URL}?{OCT}&section={section}")
    assert max(counts.values()) <= 12


def test_stock_now_is_counted_once_for_every_location_and_says_when(superuser_client, chain, django_assert_num_queries):
    # given: head office's inventory page counted the stock of every location (cold: one query more)
    superuser_client.get(URL)  # session and store choice settled
    cache.delete(selectors.STOCK_SUMMARY_KEY)
    with CaptureQueriesContext(connection) as cold:
        first = superuser_client.get(f"{URL}?{OCT}&section=inventory")
    taken = selectors.stock_summary()["as_of"]
    level = StockLevel.objects.get(location=chain.lon, on_hand=5)
    level.on_hand = 0
    level.save(update_fields=["on_hand"])
    # when: a manager's page and head office's again within the cache time
    with django_assert_num_queries(len(cold.captured_queries) - 1):
        warm = superuser_client.get(f"{URL}?{OCT}&section=inventory")
    manager_client = Client()
    manager_client.force_login(staff(chain.lon, StoreMembership.Role.MANAGER))
    manager = manager_client.get(f"{URL}?{OCT}&section=inventory")
    # then: both read the same count, and say when it was taken
    assert first.context["data"]["rows"] == warm.context["data"]["rows"]
    lon = {r["store"]: r for r in manager.context["data"]["rows"]}
    assert list(lon) == ["LON-01"] and lon["LON-01"]["on_hand"] == 7
    assert warm.context["data"]["stock_as_of"] == taken
    assert f'datetime="{taken.astimezone(timezone.get_current_timezone()).isoformat()}"' in warm.content.decode()
    # when: the beat task counts again
    assert refresh_stock_summary() >= 2
    # then
    rows = {r["store"]: r for r in superuser_client.get(f"{URL}?{OCT}&section=inventory").context["data"]["rows"]}
    assert rows["LON-01"]["on_hand"] == 2
    assert rows["LON-01"]["stock_as_of"] > taken
    # when: nothing is cached and a manager asks: their store only is counted, for them only
    cache.delete(selectors.STOCK_SUMMARY_KEY)
    with CaptureQueriesContext(connection) as cold_manager:
        rows = manager_client.get(f"{URL}?{OCT}&section=inventory").context["data"]["rows"]
    # then
    assert [(r["store"], r["on_hand"]) for r in rows] == [("LON-01", 2)]
    stock_queries = [q["sql"] for q in cold_manager.captured_queries if 'FROM "inventory_stocklevel"' in q["sql"]]
    assert len(stock_queries) == 1 and '"inventory_stocklevel"."location_id" IN (' in stock_queries[0]
    assert cache.get(selectors.STOCK_SUMMARY_KEY) is None


def test_a_merchandiser_reads_insights_in_the_admin(client, chain):
    # given: the merchandiser group holds insights.view_report (retail/roles.py)
    user = UserFactory(is_staff=True, groups=["merchandiser"])
    enrol_totp(user)
    client.force_login(user)
    # when
    page = client.get(f"/admin/insights/report/?{OCT}&section=returns")
    download = client.get(f"/admin/insights/report/csv/refund-methods/?{OCT}&store={chain.man.pk}")
    # then
    assert Group.objects.get(name="merchandiser").permissions.filter(codename="view_report").exists()
    assert page.status_code == 200
    html = page.content.decode()
    assert "Channel bought \N{MULTIPLICATION SIGN} channel returned" in html and '<svg class="chart"' in html
    assert read_csv(download)[1:] == [
        ["store_credit", "Store credit", "EUR", "1", "100.0", "15.00", "EUR", "1", "", "15.00"]
    ]


def test_staff_without_the_permission_are_refused_in_the_admin(client, chain):
    # given
    user = UserFactory(is_staff=True, groups=["customer-service"])
    enrol_totp(user)
    client.force_login(user)
    # then
    assert client.get("/admin/insights/report/").status_code == 403
    assert client.get("/admin/insights/report/csv/rfm/").status_code == 403


def test_the_admin_page_and_selectors_agree(client, chain):
    user = UserFactory(is_staff=True, is_superuser=True)
    enrol_totp(user)
    client.force_login(user)
    html = client.get(f"/admin/insights/report/?{OCT}&section=customers").content.decode()
    _single, multi = selectors.channel_customers(october())["groups"]
    assert "+450.0%" in html and str(multi["average_spend"]) in html
