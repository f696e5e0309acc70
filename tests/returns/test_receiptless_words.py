"""The receipt-less return as a store associate reads it in English, Italian and Polish (issue 19.1): what
the page says happens without a receipt, the verdict's words (an item's value, not what was "paid"; the
shopper's limits spelled out), at a cost in statements that does not grow with the items scanned."""

import pytest
from django.urls import reverse

from tests.inventory.factories import VariantFactory

pytestmark = pytest.mark.django_db
HTMX = {"hx-request": "true"}
WORDS = {
    "en-gb": {
        "page": ["Scan or type each item coming back", "store credit or an exchange", "Items coming back"],
        "within": ["Valued at €30.00", "Returns without a receipt in 90 days, this one included: 1 of 2 allowed"],
        "over": ["Credit for returns without a receipt in 90 days would reach €270.00 (limit €150.00)"],
        "purchases": ["store credit or an exchange, at the lowest recent price."],
        "not": ["Paid €30.00", "Receipt-less", "receipt-less", "of the last weeks"],
    },
    "it": {
        "page": ["Scansiona o digita ogni articolo reso", "credito negozio o con un cambio", "Articoli resi"],
        "within": ["Valutato 30,00", "Resi senza scontrino in 90 giorni, compreso questo: 1 su 2 consentiti"],
        "over": ["Il credito per resi senza scontrino in 90 giorni arriverebbe a 270,00", "Da rimborsare"],
        "purchases": ["credito negozio o cambio, al prezzo recente più basso."],
        "not": ["Pagato 30,00", "stornato", "Da restituire", "ultime settimane"],
    },
    "pl": {
        "page": ["Zeskanuj lub wpisz każdy zwracany artykuł", "kredyt sklepowy lub wymiana", "Zwracane artykuły"],
        "within": ["Wyceniono na 30,00", "Zwroty bez paragonu w ciągu 90 dni, łącznie z tym: 1 z 2 dozwolonych"],
        "over": ["osiągnąłby 270,00", "Można przyjąć", "Karta do dopłaty"],
        "purchases": ["kredyt sklepowy lub wymiana, według najniższej ceny z ostatnich dni."],
        "not": ["Zapłacono 30,00", ">Sztuki</h2>", "Dopuszczalny", "ostatnich tygodni"],
    },
}


def row(index: int, sku: str, quantity: int = 1) -> dict:
    return {f"sku_{index}": sku, f"qty_{index}": str(quantity), f"reason_{index}": "changed_mind",
            f"condition_{index}": "new"}  # fmt: skip


@pytest.mark.parametrize("language", WORDS)
def test_the_receiptless_return_reads_well_for_an_associate(
    client, associate, policy, deliver, shirt, shopper, language, django_assert_num_queries
):
    # given an associate reading the portal in their language, and a shopper with a purchase
    associate.language = language
    associate.save(update_fields=["language"])
    client.force_login(associate)
    deliver([("SHIRT-M", 1)])
    form = reverse("returns_portal:receiptless", args=[shopper.pk])
    preview = reverse("returns_portal:receiptless-preview", args=[shopper.pk])
    words = WORDS[language]

    # when they open the receipt-less return, and scan one shirt, then nine
    page = client.get(form).content.decode()
    within = client.post(preview, {**row(0, "SHIRT-M"), "refund_method": "store_credit"}, headers=HTMX)
    over = client.post(preview, {**row(0, "SHIRT-M", 9), "refund_method": "store_credit"}, headers=HTMX)
    purchases = client.get(reverse("returns_portal:purchases", args=[shopper.pk])).content.decode()

    # then each says what happens in words an associate uses, none of the old ones
    for key, html in (("page", page), ("within", within.content.decode()), ("over", over.content.decode()),
                      ("purchases", purchases)):  # fmt: skip
        for phrase in words[key]:
            assert phrase in html, (key, phrase)
        for phrase in words["not"]:
            assert phrase not in html, (key, phrase)


def test_the_receiptless_page_and_its_verdict_cost_the_same_for_one_item_or_three(
    client, associate, policy, shirt, shopper, django_assert_num_queries
):
    for n in range(2):
        VariantFactory(sku=f"TEE-{n}", product__base_price="20.00")
    client.force_login(associate)
    form = reverse("returns_portal:receiptless", args=[shopper.pk])
    preview = reverse("returns_portal:receiptless-preview", args=[shopper.pk])
    client.get(form)  # the home market is made on first use
    one = {**row(0, "SHIRT-M"), "refund_method": "store_credit"}
    three = {**one, **row(1, "TEE-0"), **row(2, "TEE-1", 2)}

    with django_assert_num_queries(PAGE):
        client.get(form)
    with django_assert_num_queries(VERDICT):
        assert "SHIRT-M" in client.post(preview, one, headers=HTMX).content.decode()
    with django_assert_num_queries(VERDICT):
        assert "TEE-1" in client.post(preview, three, headers=HTMX).content.decode()


PAGE, VERDICT = 6, 10  # statements of the form and of its verdict (10 whatever the items scanned)
