"""One reading of every code an associate types or scans (retail.domain.codes.read_code)."""

import pytest

from retail.domain.codes import read_code


@pytest.mark.parametrize(
    ("typed", "sku"),
    [
        ("msh-0041-sky-xl", "MSH-0041-SKY-XL"),
        ("  MSH-0041-SKY-XL\r\n", "MSH-0041-SKY-XL"),
        ("msh-0041 -sky-xl", "MSH-0041-SKY-XL"),
    ],
)
def test_a_sku_is_read_in_any_case_with_a_scanners_line_end(typed, sku):
    assert read_code(typed).sku == sku


@pytest.mark.parametrize(
    ("typed", "number"),
    [
        ("om 7k2m 9xd4", "OM-7K2M-9XD4"),
        ("OM-7K2M-9XD4", "OM-7K2M-9XD4"),
        ("0m7k2m9xd4", "OM-7K2M-9XD4"),  # a zero typed for the O of OM
        ("OM-7K2M-9XDA", "OM-7K2M-9XDA"),
        ("om-ik2m-9xdo", "OM-1K2M-9XD0"),  # I and O typed for 1 and 0 (Crockford)
        ("OM-7K2M-9XD", ""),
        ("OM-7K2M-9XDU", ""),  # U is not in the alphabet
        ("hello", ""),
    ],
)
def test_order_numbers_are_read_as_meant(typed, number):
    assert read_code(typed).order_number == number


def test_rma_numbers_pickup_codes_cards_and_qr_payloads():
    assert read_code("rma 7k2m 9xd4").rma_number == "RMA-7K2M-9XD4"
    assert read_code("RMA-7K2M-9XD").rma_number == ""
    assert read_code("482 913").pickup_code == "482913"
    assert read_code("482-913\n").pickup_code == "482913"
    assert read_code("4829131").pickup_code == ""
    assert read_code("6000 0000-0042").card == "600000000042"
    assert read_code("omni-pickup:ABCDEF0123 ").qr("OMNI-PICKUP:") == "abcdef0123"
    assert read_code("OMNI-RETURN:abc").qr("OMNI-PICKUP:") == ""
    assert read_code(" 5012345 000017 ").barcode == "5012345000017"
    assert read_code("MSH-0041").barcode == ""


@pytest.mark.parametrize(
    "typed", ["07700 900123", "07700900123", "+44 7700 900123", "+447700900123", "(07700) 900-123", "0044 7700 900123"]
)
def test_a_phone_number_in_any_format_is_one_e164_number(typed, settings):
    settings.PHONE_REGION = "GB"
    assert read_code(typed).phone == "+447700900123"


def test_text_that_is_no_phone_number_has_no_phone_reading():
    assert read_code("Jane Smith").phone == ""
    assert read_code("OM-7K2M-9XD4").phone == ""
    assert read_code("12").phone == ""
    assert read_code("Jane@Example.com ").email == "jane@example.com"
    assert read_code("Jane Smith").email == ""


def test_nothing_typed_is_falsy_and_control_characters_never_survive():
    assert not read_code(None)
    assert not read_code(" \t\r\n")
    assert read_code("abc\x00def").text == "abc def"
    assert len(read_code("x" * 10_000).text) == 200
