"""The front door: every demo role crawls everything it can reach on a seeded demo (tests/crawl.py).

`make crawl` does the same against a running `make demo`, and there also fails any page slower than
1 s; here speed is left to the benchmarks (the slowest pages are printed), everything else holds:
no 5xx, no debug page, no broken link, no CSP violation on the main portal pages, htmx swaps included.
"""

from io import StringIO

import pytest
from django.core.management import call_command

from tests.crawl import ROLES, crawl, summary

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_every_demo_role_reaches_its_pages_without_an_error(live_server, browser, settings):
    # given the demo chain, seeded as `make demo` seeds it (smallest scale)
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_CLASSES": []}
    call_command("seed_demo", "--scale", "tiny", stdout=StringIO())
    # when every role signs in and crawls, and the portal roles open the main pages in chromium
    report = crawl(
        live_server.url, limit=None, browser_roles=("associate", "manager"), browser=browser, log=lambda line: None
    )
    print(summary(report))
    # then nothing failed
    assert report.problems == [], summary(report)
    # and every role got in and saw its part of the site
    pages = report.pages_per_role()
    assert set(pages) == set(ROLES)
    for role in ("associate", "manager", "head office"):
        assert pages[role]["portal"] >= 20 and pages[role]["fragment"] >= 3, (role, pages[role])
    for role in ("merchandiser", "customer service", "admin"):
        assert pages[role]["admin"] >= 20, (role, pages[role])
    for role in ("shopper", "POS device", "anonymous"):
        assert pages[role]["api"] >= 5, (role, pages[role])
    assert pages["associate"]["browser"] >= 8 and pages["manager"]["browser"] >= 8
