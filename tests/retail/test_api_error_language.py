"""The API's own refusals of malformed input (query parameters, JSON types, NUL characters, broken
JSON, empty batches) are worded in the caller's Accept-Language like every other error: a Polish app
read 'true or false.', 'Must be a whole number.' and 'JSON parse error - ...' in English."""

import pytest

pytestmark = pytest.mark.django_db

POLISH = {"HTTP_ACCEPT_LANGUAGE": "pl"}


def test_query_parameters_are_refused_in_the_callers_language(api_client):
    pickup = api_client.get("/api/v1/stores/", {"pickup": "1"}, **POLISH)
    page = api_client.get("/api/v1/stores/", {"page_size": "0"}, **POLISH)
    near = api_client.get("/api/v1/stores/", {"near": "north"}, **POLISH)

    assert (pickup.status_code, pickup.json()["message"]) == (400, "pickup to true albo false.")
    assert page.json()["message"] == "page_size to liczba całkowita od 1 do 100."
    assert near.json()["fields"]["near"] == ["Podaj współrzędne jako 'szerokość,długość', np. 51.5072,-0.1276."]


def test_malformed_bodies_are_refused_in_the_callers_language(api_client):
    typed = api_client.post("/api/v1/giftcards/balance/", '{"code": 5}', content_type="application/json", **POLISH)
    broken = api_client.post("/api/v1/giftcards/balance/", '{"code": ', content_type="application/json", **POLISH)
    nul = api_client.post(
        "/api/v1/giftcards/balance/", '{"code": "a\\u0000"}', content_type="application/json", **POLISH
    )
    empty = api_client.post("/api/v1/events/", {"events": []}, format="json", **POLISH)

    assert typed.json()["fields"] == {"code": ["Musi być tekstem."]}
    assert (broken.status_code, broken.json()["code"]) == (400, "parse_error")
    assert broken.json()["message"].startswith("Treść nie jest poprawnym JSON-em: ")
    assert nul.json()["fields"] == {"body": ["Zawiera znak NUL."]}
    assert empty.json()["fields"] == {"events": ["Co najmniej 1 pozycja."]}


def test_an_unknown_gift_card_is_refused_in_the_callers_language(api_client):
    # the one answer for unknown, mistyped and expired numbers was a plain English string
    response = api_client.post("/api/v1/giftcards/balance/", {"code": "9" * 16}, format="json", **POLISH)

    assert (response.status_code, response.json()["code"]) == (404, "gift_card_not_found")
    assert response.json()["message"] == "Żadna aktywna karta podarunkowa nie ma tego numeru. Sprawdź numer na karcie."
