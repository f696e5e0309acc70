"""Offers' and loyalty tiers' names in the reader's language (issue 19.1): "Gold weekend: 20% off" and
"Gold" are data written in English, so each row keeps its texts in the other languages on itself
(`translations`: {"it": {"name": ...}}) and reads the active language's, else its own: Italian and
Polish staff on the clienteling screen and shoppers in the API (Accept-Language) read them in their
language, at no query more."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from customers.models import LoyaltyAccount, LoyaltyTier, Offer
from customers.selectors import timeline_page
from customers.services import assign_offer, create_customer, earn_points, redeem_offer
from tests.customers.factories import OfferFactory
from tests.factories import MembershipFactory, StoreFactory, UserFactory
from tests.inventory.test_catalog_texts import admin_client, market  # noqa: F401 — a fixture

pytestmark = pytest.mark.django_db

GOLD = {"it": {"name": "Oro"}, "pl": {"name": "Złoty"}}
WEEKEND = {
    "it": {"name": "Weekend Oro: 20% di sconto", "description": "Solo questo fine settimana."},
    "pl": {"name": "Złoty weekend: 20% zniżki"},  # no Polish terms: the offer's own
}


def gold_shopper(**customer):
    """A Gold shopper (Platinum next, named only in Italian) with the Gold weekend."""
    LoyaltyTier.objects.all().delete()
    gold = LoyaltyTier.objects.create(code="gold", name="Gold", min_spend=0, translations=GOLD)
    LoyaltyTier.objects.create(
        code="platinum", name="Platinum", min_spend=2000, translations={"it": {"name": "Platino"}}
    )
    shopper = create_customer(first_name="Ada", **customer)
    earn_points(customer=shopper, points=10, reference="ORD-1")
    LoyaltyAccount.objects.filter(customer=shopper).update(tier=gold)
    offer = OfferFactory(code="gold20", name="Gold weekend: 20% off", description="This weekend only.",
                         translations=WEEKEND)  # fmt: skip
    assign_offer(offer=offer, customer=shopper)
    return shopper


@pytest.mark.parametrize(
    ("language", "tier", "offer", "terms", "next_tier"),
    [
        ("it", "Oro", "Weekend Oro: 20% di sconto", "Solo questo fine settimana.", "Platino"),
        ("pl", "Złoty", "Złoty weekend: 20% zniżki", "This weekend only.", "Platinum"),  # terms, next: fallback
        ("en-GB", "Gold", "Gold weekend: 20% off", "This weekend only.", "Platinum"),
    ],
)
def test_the_api_names_tier_and_offer_in_the_callers_language_else_their_own(
    api_client, language, tier, offer, terms, next_tier
):
    user = UserFactory(email="ada@example.com")
    gold_shopper(email="ada@example.com", user=user)
    api_client.force_authenticate(user)
    headers = {"accept-language": language}

    loyalty = api_client.get("/api/v1/me/loyalty/", headers=headers).json()
    offers = api_client.get("/api/v1/me/offers/", headers=headers).json()
    me = api_client.get("/api/v1/me/", headers=headers).json()

    assert (loyalty["tier"], loyalty["next_tier"], me["tier"]) == (tier, next_tier, tier)
    assert [(o["name"], o["description"]) for o in offers] == [(offer, terms)]


@pytest.mark.parametrize(
    ("language", "shown", "english"),
    [
        ("it", ["Oro", "Weekend Oro: 20% di sconto", "Solo questo fine settimana.", "Platino"], "Gold"),
        ("pl", ["Złoty", "Złoty weekend", "This weekend only."], "Gold"),  # no Polish terms: the offer's own
    ],
)
def test_an_associate_reads_tier_and_offers_in_their_language_at_no_query_more(client, language, shown, english):
    # given an associate of a store in the language's market, and a Gold shopper with the Gold weekend
    store = StoreFactory(code="ST-LANG", market=market(language, language, "EUR" if language == "it" else "PLN"))
    client.force_login(MembershipFactory(store=store).user)
    shopper = gold_shopper()
    detail = reverse("customers_portal:detail", args=[shopper.pk])
    offers = reverse("customers_portal:offers", args=[shopper.pk])
    client.get(detail)  # warm the session's caches

    # when they open the shopper and the offers panel
    with CaptureQueriesContext(connection) as named:
        page = client.get(detail).text + client.get(offers).text
    LoyaltyTier.objects.update(translations={})
    Offer.objects.update(translations={})
    with CaptureQueriesContext(connection) as unnamed:
        client.get(detail), client.get(offers)

    # then tier, next tier and offer read in their language, at the cost of the screens without them
    assert all(text in page for text in shown), page
    assert f">{english}<" not in page and "Gold weekend" not in page
    assert len(named) == len(unnamed)


def test_the_timeline_names_a_redeemed_offer_in_the_readers_language_as_it_was_named_then():
    shopper = gold_shopper()
    redeem_offer(customer=shopper, offer_code="gold20", channel="app", currency="EUR", reference="W-1001")
    Offer.objects.filter(code="gold20").update(name="Renamed", translations={})  # the row kept its words

    def said(language):
        with translation.override(language):
            return [row.said for row in timeline_page(shopper).rows if row.kind == "offer_redeemed"]

    assert said("it") == ["Weekend Oro: 20% di sconto, codice gold20"]
    assert said("pl") == ["Złoty weekend: 20% zniżki, kod gold20"]
    assert said("en-gb") == ["Gold weekend: 20% off, code gold20"]


def test_a_language_without_a_text_reads_the_rows_own():
    tier = LoyaltyTier(name="Gold", translations={"it": {"name": "Oro"}, "pl": {"name": "  "}})
    with translation.override("pl"):
        assert tier.display_name == "Gold"  # blank: its own
    with translation.override("it"):
        assert tier.display_name == "Oro"
    assert tier.translated("name", "it-ch") == "Oro" and tier.translated("name", "de") == "Gold"
    with translation.override("it"):
        assert str(tier) == "Oro"  # the admin's choices (an offer's tier) in the reader's language


def test_head_office_writes_the_texts_per_language_in_the_admin(admin_client):  # noqa: F811
    offer = OfferFactory(code="app5", name="€5 off in the app")
    url = reverse("admin:customers_offer_change", args=[offer.pk])
    form = admin_client.get(url).text
    assert 'name="name_it"' in form and 'name="description_pl"' in form

    data = {
        "code": "app5", "name": "€5 off in the app", "description": "", "discount_percent": "10", "discount_amount": "",
        "currency": "", "channels": '["app"]', "segment": "all", "requires_email_consent": "on",
        "valid_from_0": "2026-01-01", "valid_from_1": "00:00:00", "valid_until_0": "2030-01-01",
        "valid_until_1": "00:00:00", "is_active": "on",
        "name_it": " 5 € di sconto nell'app ", "name_pl": "5 € zniżki w aplikacji", "description_it": "",
        "description_pl": "Tylko w aplikacji.",
    }  # fmt: skip
    response = admin_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    offer.refresh_from_db()
    assert offer.translations == {
        "it": {"name": "5 € di sconto nell'app"},
        "pl": {"name": "5 € zniżki w aplikacji", "description": "Tylko w aplikacji."},
    }
    assert 'value="5 € zniżki w aplikacji"' in admin_client.get(url).text


@pytest.mark.parametrize(
    "translations",
    [["Oro"], {"de": {"name": "Gold"}}, {"it": {"title": "Oro"}}, {"it": {"name": 5}}, {"en-gb": {"name": "Gold"}}],
)
def test_translations_of_the_wrong_shape_are_refused_in_the_readers_language(translations):
    from django.core.exceptions import ValidationError

    tier = LoyaltyTier(code="gold", name="Gold", min_spend=0, translations=translations)
    with translation.override("pl"), pytest.raises(ValidationError) as refused:
        tier.full_clean()
    assert "translations" in refused.value.message_dict
