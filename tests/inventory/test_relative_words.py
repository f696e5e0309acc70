"""Words QA found reading badly in Italian and Polish (issue 19): a count made today read "0 giorni fa",
and the sell page's points field read "Points of 1650"."""

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from customers.models import LoyaltyAccount
from inventory.models import StockLevel
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("language", "today", "wrong"), [("it", "oggi", "0 giorni"), ("pl", "dziś", "0 dni"),
                                                          ("en-gb", "today", "0 days")])  # fmt: skip
def test_a_count_made_today_reads_today(associate, associate_client, store, stocked, language, today, wrong):
    associate.language = language
    associate.save(update_fields=["language"])
    StockLevel.objects.filter(location=store, variant=stocked).update(last_counted_at=timezone.now())
    with translation.override(language):
        html = associate_client.get(reverse("inventory_portal:lookup"), {"q": stocked.sku},
                                    HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE=language).text  # fmt: skip
    assert stocked.sku in html
    assert f">{today}</time>" in html and wrong not in html


@pytest.fixture
def shopper(store):
    from customers.services import create_customer

    shopper = create_customer(first_name="Ewa", last_name="Nowak", email="ewa@example.com", home_store=store)
    LoyaltyAccount.objects.update_or_create(customer=shopper, defaults={"balance": 1652, "created_at": timezone.now()})
    return shopper


@pytest.mark.parametrize(("language", "words"), [("en-gb", "Points to redeem"), ("it", "Punti da usare"),
                                                 ("pl", "Punkty do wykorzystania")])  # fmt: skip
def test_the_sell_page_says_how_many_points_are_available(client, store, shopper, language, words):
    user = MembershipFactory(store=store).user
    user.language = language
    user.save(update_fields=["language"])
    client.force_login(user)
    with translation.override(language):
        html = client.get(f"/portal/orders/sell/{shopper.pk}/", HTTP_ACCEPT_LANGUAGE=language).text
    assert words in html and " of 1652" not in html and "1652" in html
