"""Insights read from a real streaming replica of the suite's server (tests/replica.py), say how fresh
their figures are, and fall back to the primary when it is down, too far behind, or missing the
user's own change (retail/replica.py)."""

import io
import time

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connections
from django.test import Client
from django.test.utils import CaptureQueriesContext

from insights import selectors
from insights.figures import FIGURES, SECTIONS
from insights.pages import section_context
from insights.tasks import refresh_sales_days, refresh_stock_summary
from orders.models import Order
from retail import replica as reporting
from retail.models import Store, StoreMembership
from tests.factories import StoreFactory
from tests.insights.conftest import at, make_order, october, staff
from tests.insights.test_pages import OCT, URL, read_csv
from tests.replica import running_replica

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])

REPORT_TABLES = ('"orders_order"', '"orders_fulfillment"', '"returns_returnrequest"', '"inventory_stocklevel"')


@pytest.fixture(scope="session")
def streaming_replica(django_db_setup, django_db_blocker):
    """A hot standby of the suite's server, made once for these tests; the "replica" alias points at it."""
    with django_db_blocker.unblock():
        primary = connections["default"].settings_dict
        with running_replica(primary) as replica:
            alias = connections["replica"].settings_dict  # the dict every thread's connection reads
            saved = {key: alias[key] for key in ("NAME", "HOST", "PORT")}
            alias.update(NAME=primary["NAME"], HOST="127.0.0.1", PORT=str(replica.port))
            connections["replica"].close()
            try:
                yield replica
            finally:
                connections["replica"].close()
                alias.update(saved)


@pytest.fixture(autouse=True)
def replica(streaming_replica, settings):
    settings.DATABASE_REPLICA_URL = f"postgres://127.0.0.1:{streaming_replica.port}/"  # reports may use it
    if not streaming_replica.running:  # a test stopped it and failed before starting it again
        streaming_replica.start()
    yield streaming_replica
    streaming_replica.resume_replay()


def on(alias: str) -> CaptureQueriesContext:
    return CaptureQueriesContext(connections[alias])


def forget_cached_figures():
    cache.delete(selectors.STOCK_SUMMARY_KEY)
    selectors.forget_sales_days(october().start, october().end)


def test_a_write_on_the_primary_is_replayed_on_the_replica(replica):
    # given
    assert not Store.objects.using("replica").filter(code="RPL-01").exists()
    # when
    StoreFactory(code="RPL-01", name="Replicated")
    waited = replica.wait_for_replay()
    # then
    assert Store.objects.using("replica").get(code="RPL-01").name == "Replicated"
    assert waited < 10
    with connections["replica"].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        assert cursor.fetchone() == (True,)
    assert reporting.replica_lag() < 5  # caught up (0 unless the server is busy with other writes)


def test_insights_read_from_the_replica_the_same_queries_and_say_as_of_when(replica, superuser_client, chain, settings):
    # given: the queries of each section with no replica (all on the primary)
    superuser_client.get(URL)  # session settled
    settings.DATABASE_REPLICA_URL = ""
    alone = {}
    for section, _ in SECTIONS:
        forget_cached_figures()
        with on("default") as primary:
            assert superuser_client.get(f"{URL}?{OCT}&section={section}").status_code == 200
        alone[section] = len(primary)
    settings.DATABASE_REPLICA_URL = f"postgres://127.0.0.1:{replica.port}/"
    replica.wait_for_replay()
    for section, _ in SECTIONS:
        forget_cached_figures()
        # when
        with on("default") as primary, on("replica") as standby:
            page = superuser_client.get(f"{URL}?{OCT}&section={section}")
        # then: the same queries, the report's on the replica (plus its lag), none of them on the primary
        assert page.status_code == 200
        assert len(primary) + len(standby) == alone[section] + 1, section
        assert reporting.LAG_SQL in standby.captured_queries[0]["sql"]
        assert len(standby) >= 2, section
        assert not [q["sql"] for q in primary.captured_queries if any(t in q["sql"] for t in REPORT_TABLES)]
        html = page.content.decode()
        assert 'data-figures-source="replica"' in html and "Figures as of <time datetime=" in html
        assert page.context["figures_source"].on_replica
    assert "€250.00" in superuser_client.get(f"{URL}?{OCT}").content.decode()  # the chain's net, as on the primary
    # when: a CSV
    forget_cached_figures()
    with on("replica") as standby:
        rows = read_csv(superuser_client.get(f"{URL}csv/sales-by-store/?{OCT}"))
    # then
    assert {row[1] for row in rows[1:]} == {"LON-01", "MAN-01"}
    assert len(standby) == 3  # its lag, its rows, the reporting currency (no other currency: no rate to read)


def test_a_stopped_replica_leaves_the_page_to_the_primary_which_says_so(replica, superuser_client, chain):
    # given
    replica.wait_for_replay()
    assert superuser_client.get(URL).context["figures_source"].on_replica
    # when
    replica.stop()
    try:
        started = time.monotonic()
        page = superuser_client.get(f"{URL}?{OCT}")
        took = time.monotonic() - started
        # then: the figures, live from the primary, and why
        html = page.content.decode()
        assert page.status_code == 200 and "€250.00" in html
        assert 'data-figures-source="default"' in html and "the replica does not answer" in html
        assert took < 5
        assert cache.get(reporting.DOWN_KEY) is True
    finally:
        replica.start()
    # when: the replica is back within the time its failure is remembered
    with on("replica") as standby:
        again = superuser_client.get(f"{URL}?{OCT}")
    # then: the primary still answers, without trying the replica
    assert again.context["figures_source"].reason == reporting.UNREACHABLE and len(standby) == 0
    # when: that time is over
    cache.delete(reporting.DOWN_KEY)
    # then
    assert superuser_client.get(URL).context["figures_source"].on_replica


def test_a_replica_stopped_in_the_middle_of_a_page_leaves_it_to_the_primary(
    replica, superuser_client, chain, monkeypatch
):
    # given a page that chose the replica (its lag answered), and the replica stopped before the figures are read
    replica.wait_for_replay()
    real, read_on = section_context, []

    def stopped_midway(section, period):
        read_on.append(reporting.reporting_db())
        if len(read_on) == 1:
            replica.stop()
        return real(section, period)

    monkeypatch.setattr("insights.portal.views.section_context", stopped_midway)
    # when
    try:
        page = superuser_client.get(f"{URL}?{OCT}")
    finally:
        replica.start()
    # then: no error page; the figures are read again from the primary, which says why
    html = page.content.decode()
    assert page.status_code == 200 and "€250.00" in html and read_on == ["replica", "default"]
    assert 'data-figures-source="default"' in html and "the replica does not answer" in html
    assert cache.get(reporting.DOWN_KEY) is True
    cache.delete(reporting.DOWN_KEY)


def test_a_replica_paused_beyond_the_lag_limit_leaves_the_page_to_the_primary(
    replica, superuser_client, chain, settings
):
    # given: the replica has everything, then stops replaying; an order comes in on the primary
    settings.DATABASE_REPLICA_MAX_LAG = 1
    superuser_client.get(URL)
    replica.wait_for_replay()
    replica.pause_replay()
    make_order(store=chain.lon, channel="web", placed_at=at(10, 10), total="1000.00")
    time.sleep(1.5)
    # when
    page = superuser_client.get(f"{URL}?{OCT}")
    # then: read on the primary (the new order counts), and the page says why
    source = page.context["figures_source"]
    assert source.alias == "default" and "behind (more than 1 s)" in source.reason
    assert "€1,250.00" in page.content.decode()
    # when: replay resumes and catches up
    replica.resume_replay()
    replica.wait_for_replay()
    # then
    caught_up = superuser_client.get(f"{URL}?{OCT}")
    assert caught_up.context["figures_source"].on_replica and "€1,250.00" in caught_up.content.decode()


def test_after_a_change_the_user_reads_the_primary_until_the_replica_has_it(replica, chain, monkeypatch):
    # given: a manager and a colleague who changes nothing
    writer, reader = Client(), Client()
    writer.force_login(staff(chain.lon, StoreMembership.Role.MANAGER))
    reader.force_login(staff(chain.lon, StoreMembership.Role.MANAGER))
    replica.wait_for_replay()
    assert writer.get(URL).context["figures_source"].on_replica
    # when: a refused request (4xx) marks nothing
    assert writer.post("/portal/no-such-page/").status_code == 404
    # then
    assert writer.get(URL).context["figures_source"].on_replica
    # when: a change that succeeds
    assert writer.post("/portal/store/", {"store": chain.lon.pk}).status_code == 302
    # then: the writer's next page comes from the primary and says why; the colleague's from the replica
    mine = writer.get(URL).context["figures_source"]
    assert mine.alias == "default" and mine.reason == reporting.RECENT_CHANGE
    assert reader.get(URL).context["figures_source"].on_replica
    # when: the first seconds are over and the replica has replayed past the change (and a later one)
    monkeypatch.setattr(reporting, "FRESH_SECONDS", 0)
    StoreFactory()
    replica.wait_for_replay()
    # then
    assert writer.get(URL).context["figures_source"].on_replica


def test_the_admin_export_and_the_export_command_read_the_replica(replica, superuser_client, chain, tmp_path):
    # given
    replica.wait_for_replay()
    orders = list(Order.objects.order_by("pk").values_list("pk", "number"))
    # when: head office exports two orders from the admin
    with on("replica") as standby:
        response = superuser_client.post(
            "/admin/orders/order/", {"action": "export_csv", "_selected_action": [pk for pk, _ in orders[:2]]}
        )
        lines = b"".join(response.streaming_content).decode().splitlines()
    # then: the orders were read on the replica (after its lag)
    assert response.status_code == 200 and len(lines) == 3
    assert {line.split(",")[0] for line in lines[1:]} == {number for _, number in orders[:2]}
    assert len(standby) == 2 and 'FROM "orders_order"' in standby.captured_queries[1]["sql"]
    # when: the command exports them all (no user: read-your-writes does not apply)
    with on("replica") as standby:
        call_command("export_orders", output=tmp_path / "orders.csv", stderr=io.StringIO())
    # then
    assert len((tmp_path / "orders.csv").read_text().splitlines()) == len(orders) + 1
    assert len(standby) == 2 and 'FROM "orders_order"' in standby.captured_queries[1]["sql"]


def test_every_figure_and_the_tax_report_read_the_replica_only(replica, chain):
    # given
    replica.wait_for_replay()
    forget_cached_figures()
    # when: every figure of the pages and CSVs, and the tax report, inside a report
    with reporting.reporting() as source, on("default") as primary, on("replica") as standby:
        for figure in FIGURES.values():
            figure.rows(october())
        selectors.tax_by_market(october())
    # then: nothing of theirs on the primary (a selector reading the primary would show here); the stores'
    # clocks are the shop's settings, read once there and cached
    assert source.on_replica
    assert [q["sql"] for q in primary.captured_queries if '"retail_store"."time_zone"' not in q["sql"]] == []
    assert len(standby) > len(FIGURES)


def test_the_beat_tasks_count_on_the_replica(replica, chain):
    # given
    replica.wait_for_replay()
    # when: beat recounts stock now and head office's past days
    with on("default") as primary, on("replica") as standby:
        assert refresh_stock_summary() >= 2
        refresh_sales_days()
    # then: their scans ran on the replica
    assert [q["sql"] for q in primary.captured_queries if any(t in q["sql"] for t in REPORT_TABLES)] == []
    assert any('FROM "inventory_stocklevel"' in q["sql"] for q in standby.captured_queries)


def test_readyz_reports_the_replicas_lag_without_taking_the_host_out(replica, client, chain, settings):
    """deploy.md §8's replica lag signal: /readyz says how far behind the replica is, and whether it
    answers; the host stays ready either way (reports fall back to the primary)."""
    replica.wait_for_replay()
    body = client.get("/readyz").json()
    assert body["status"] == "ok" and body["replica"]["status"] == "ok"
    assert 0 <= body["replica"]["lag_seconds"] <= settings.DATABASE_REPLICA_MAX_LAG
    # when: replay stops while the primary takes a write
    settings.DATABASE_REPLICA_MAX_LAG = 1
    replica.pause_replay()
    make_order(store=chain.lon, channel="web", placed_at=at(10, 10), total="10.00")
    time.sleep(1.5)
    lagging = client.get("/readyz")
    assert lagging.status_code == 200 and lagging.json()["replica"]["status"] == "lagging"
    assert lagging.json()["replica"]["lag_seconds"] > 1
    replica.resume_replay()
    # when: the replica is stopped
    replica.stop()
    try:
        down = client.get("/readyz")
    finally:
        replica.start()
    assert down.status_code == 200 and down.json()["replica"] == {"status": "unreachable", "lag_seconds": None}
