"""The timeline row tag writes the date as the template's date filter did (issue 16: the filter's
format parser ran 25 times a page)."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone, translation
from django.utils.formats import date_format

from customers.templatetags.customer_tags import timeline_when

MOMENTS = [
    datetime(2026, 12, 2, 9, 33, 15, tzinfo=UTC),
    datetime(2026, 1, 1, 0, 0, tzinfo=UTC),
    datetime(2027, 3, 28, 23, 59, 59, tzinfo=UTC),  # a summer-time change in Europe
    datetime(2026, 7, 5, 12, 5, tzinfo=UTC),
]


@pytest.mark.parametrize("language", ["en-gb", "de", "fr"])
@pytest.mark.parametrize("zone", ["Europe/London", "America/New_York", "Asia/Kolkata"])
def test_timeline_when_writes_what_the_date_filter_wrote(language, zone):
    # given moments shown in a store's time zone and language
    with translation.override(language), timezone.override(ZoneInfo(zone)):
        for moment in MOMENTS:
            local = timezone.localtime(moment)
            # then the row's date is the filter's "D j M Y, H:i", day and month names translated
            assert timeline_when(local) == date_format(local, "D j M Y, H:i")
