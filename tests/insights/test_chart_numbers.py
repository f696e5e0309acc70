"""The numbers written on the insights charts are in the reader's language (found by QA on the demo):
a Warsaw manager's 'by channel' bars read 5,114.49 and the axis 1.5k beside tables in 5114,49 zł."""

from decimal import Decimal

import pytest
from django.utils import translation

from insights import charts


@pytest.mark.parametrize(
    ("language", "amount", "short"),
    [("en-gb", "5,114.49", "1.5k"), ("it", "5.114,49", "1,5k"), ("pl", "5\u00a0114,49", "1,5k")],
)
def test_bar_values_and_axis_ticks_are_written_the_readers_way(language, amount, short):
    with translation.override(language):
        # the value at a bar's end (to the cent) and an axis tick (shortened)
        assert charts.money_label(Decimal("5114.49")) == amount
        assert charts.money_label(Decimal("1234567")) == "1" + short[1] + "2M"
        svg = str(charts.stacked_columns(["1 Dec"], [("Store", [Decimal("1900")])], title="Sales"))
        assert f">{short}<" in svg  # the 2.0k scale's quarter mark: 1.5k
        bars = [("Store", Decimal("5114.49"))]
        svg = str(charts.bar_chart(bars, title="By channel", value_format=charts.money_label))
        assert f">{amount}<" in svg
