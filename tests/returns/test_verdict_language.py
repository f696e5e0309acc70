"""A return's verdict reads in its reader's language, whoever judged it (issue 19.1): the engine words
it in every language of the portal when it judges, and the receipt, the API (Accept-Language) and the
admin read the reader's; a return judged before keeps the words it was judged in."""

import pytest
from django.utils import translation

from orders.returns.models import ReturnLine, ReturnRequest
from orders.returns.services import LineRequest, complete_return, start_return

pytestmark = pytest.mark.django_db

ENGLISH = "Bought on the web 3 days ago; web orders can be returned within 30 days."


def test_a_return_judged_in_italian_reads_in_polish_in_the_api(
    api_client, shopper_user, policy, deliver, shirt, other_store
):
    # given a return started while Italian was active (an Italian shopper's app)
    order = deliver([("SHIRT-M", 1)], channel="web", days_ago=3)
    with translation.override("it"):
        request = start_return(
            order=order,
            lines=[LineRequest(line_number=1, quantity=1, reason="wrong_size")],
            channel="app",
            store=other_store,
        )
    line = ReturnLine.objects.get(request=request)
    # then the line keeps its verdict in every language of the portal, the one it was judged in too
    assert set(line.explanations) == {"en-gb", "it", "pl"}
    assert line.explanation == line.explanations["it"] != line.explanations["pl"]
    assert line.explanations["en-gb"] == ENGLISH
    # when a Polish reader asks the API
    api_client.force_authenticate(shopper_user)
    polish = api_client.get(f"/api/v1/returns/{request.rma_number}/", HTTP_ACCEPT_LANGUAGE="pl").json()
    english = api_client.get(f"/api/v1/returns/{request.rma_number}/", HTTP_ACCEPT_LANGUAGE="en-gb").json()
    # then each reads the verdict in their language
    assert polish["lines"][0]["explanation"] == line.explanations["pl"]
    assert polish["lines"][0]["explanation"].startswith("Kupione przez internet 3 dni temu")
    assert english["lines"][0]["explanation"] == ENGLISH


def test_the_receipt_reads_the_verdict_in_the_associates_language(
    client, policy, deliver, shirt, shopper, other_store, other_associate
):
    # given a return completed at the desk while English was active
    order = deliver([("SHIRT-M", 1)], channel="web", days_ago=3)
    request = complete_return(
        store=other_store,
        actor=other_associate,
        refund_method="store_credit",
        order=order,
        lines=[LineRequest(sku="SHIRT-M", quantity=1, reason="wrong_size")],
    )
    # when an Italian associate prints its receipt
    other_associate.language = "it"
    other_associate.save(update_fields=["language"])
    client.force_login(other_associate)
    page = client.get(f"/portal/returns/{request.rma_number}/receipt/").content.decode()
    # then the verdict is Italian
    line = ReturnLine.objects.get(request=request)
    assert line.explanations["it"] in page and ENGLISH not in page


def test_a_return_judged_before_keeps_its_words(policy, deliver, shirt, other_store):
    order = deliver([("SHIRT-M", 1)], channel="web", days_ago=3)
    request = start_return(
        order=order, lines=[LineRequest(line_number=1, quantity=1, reason="wrong_size")], channel="app"
    )
    ReturnLine.objects.filter(request=request).update(explanations={})
    ReturnRequest.objects.filter(pk=request.pk).update(summaries={})
    line = ReturnLine.objects.get(request=request)
    request.refresh_from_db()
    with translation.override("pl"):
        assert line.worded_explanation == ENGLISH and request.worded_summary == request.summary
