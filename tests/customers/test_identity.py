from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from customers.errors import CustomerError
from customers.models import Customer, CustomerIdentity, Interaction
from customers.services import (
    ClientEvent,
    create_customer,
    earn_points,
    ingest_events,
    issue_store_credit,
    link_user_to_customer,
    merge_customers,
    record_interaction,
    resolve_customer,
    set_consent,
    undo_merge,
)
from customers.signals import customer_merge_undone, customer_merged
from retail.models import AuditEvent
from tests.customers.factories import CustomerFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_an_identity_in_any_spelling_lands_on_the_same_profile():
    # given a shopper known by email and phone
    shopper = create_customer(first_name="Ada", last_name="Byron", email=" Ada@Example.COM ", phone="07700 900123")
    # when events carry the identities written differently
    by_email = resolve_customer(identities={"email": "ADA@example.com"})
    by_phone = resolve_customer(identities={"phone": "+44 (0)7700-900123"})
    # then both resolve to her, and the profile holds the normalised forms
    assert by_email.pk == by_phone.pk == shopper.pk
    assert shopper.email == "ada@example.com" and shopper.phone == "+447700900123"
    assert Customer.objects.count() == 1


def test_unknown_identities_are_attached_to_the_known_profile():
    shopper = create_customer(first_name="Ada", email="ada@example.com")
    # when a sale carries her email and a POS customer id nobody knew
    found = resolve_customer(identities={"email": "ada@example.com", "pos_customer_id": "POS-77"})
    # then the POS id now points at her too
    assert found.pk == shopper.pk
    assert CustomerIdentity.objects.get(kind="pos_customer_id", value="POS-77").customer_id == shopper.pk


def test_two_known_profiles_are_never_merged_automatically():
    a = create_customer(first_name="A", email="a@example.com")
    b = create_customer(first_name="B", phone="07700900001")
    # when one event carries both (the strongest identity wins)
    found = resolve_customer(identities={"email": "a@example.com", "phone": "07700900001"})
    # then it lands on the email's profile and the phone stays with B
    assert found.pk == a.pk
    assert CustomerIdentity.objects.get(kind="phone").customer_id == b.pk
    assert not Customer.objects.filter(merged_into__isnull=False).exists()


def test_an_anonymous_device_is_stitched_to_the_shopper_when_linked():
    # given an app install that browsed before anyone signed in
    result = ingest_events(
        events=[
            ClientEvent(
                index=i,
                id=f"e{i}",
                kind="product_view",
                channel="app",
                occurred_at=timezone.now() - timedelta(hours=2),
                subject="SKU-1",
                identities={"app_install": "install-1"},
            )
            for i in range(3)
        ]
    )
    assert result.accepted == [0, 1, 2]
    device_profile = Customer.objects.get(is_anonymous=True)
    # and a known shopper with an app account
    user = UserFactory(email="ada@example.com")
    shopper = create_customer(first_name="Ada", email="ada@example.com", user=user)
    # when she signs in on that device and the app posts with the install id
    ingest_events(
        events=[
            ClientEvent(
                index=0,
                id="e9",
                kind="app_open",
                channel="app",
                occurred_at=timezone.now() - timedelta(hours=1),
                identities={"app_install": "install-1"},
            )
        ],
        customer=shopper,
    )
    # then the earlier events are on her timeline and the device profile points at her
    assert Interaction.objects.filter(customer=shopper).count() == 4
    device_profile.refresh_from_db()
    assert device_profile.merged_into_id == shopper.pk
    assert CustomerIdentity.objects.get(kind="app_install").customer_id == shopper.pk
    shopper.refresh_from_db()
    assert shopper.channels == ["app"]


def test_an_anonymous_profile_becomes_known_when_it_learns_an_email():
    device = resolve_customer(identities={"web_cookie": "ck-1"})
    assert device.is_anonymous
    # when the same cookie later comes with an email nobody has
    found = resolve_customer(identities={"web_cookie": "ck-1", "email": "new@example.com"})
    # then the profile is promoted, not duplicated
    assert found.pk == device.pk and not found.is_anonymous and found.email == "new@example.com"


def test_a_signed_in_user_gets_the_profile_of_their_email_once_it_is_verified():
    shopper = create_customer(first_name="Store", last_name="Only", email="shop@example.com")
    user = UserFactory(email="shop@example.com")
    # when the app first asks for /me before the email is verified
    own = link_user_to_customer(user=user)
    # then the login has a profile of its own (an unverified email proves nothing; issue 13)
    assert own.pk != shopper.pk and own.user_id == user.pk
    # when allauth has verified the email
    from allauth.account.models import EmailAddress

    from customers.services import link_verified_identity

    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    linked = link_verified_identity(user=user, kind="email", value=user.email)
    # then the store-only profile is linked, and asking again changes nothing
    assert linked.pk == shopper.pk and Customer.objects.get(pk=shopper.pk).user_id == user.pk
    assert link_user_to_customer(user=user).pk == shopper.pk


def test_a_bad_identity_is_a_clear_error():
    with pytest.raises(CustomerError) as err:
        resolve_customer(identities={"phone": "not a phone"})
    assert err.value.code == "invalid_identity" and "phone" in err.value.fields


def test_merge_moves_everything_and_undo_puts_it_back():
    # given two profiles of one person, each with history and balances
    target = create_customer(first_name="Ada", last_name="Byron", email="ada@example.com")
    source = create_customer(first_name="Ada", last_name="B", phone="07700900123", card_number="6000 0000 0001")
    for i in range(3):
        record_interaction(customer=source, channel="store", kind="store_visit", source="test", external_id=f"s{i}")
    record_interaction(customer=target, channel="app", kind="app_open", source="test", external_id="t1")
    earn_points(customer=source, points=120, reference="ORD-1")
    issue_store_credit(customer=source, amount=Decimal("15.50"), reference="RET-1")
    set_consent(customer=source, channel="sms", granted=True, source="store:LON-01")
    received = []

    def other_app_moves_its_rows(merge, **kwargs):
        received.append(merge.pk)
        merge.moved["otherapp.Thing"] = [7, 8]

    customer_merged.connect(other_app_moves_its_rows, weak=False, dispatch_uid="t-merge")
    undone = []
    customer_merge_undone.connect(
        lambda merge, **kw: undone.append(merge.moved["otherapp.Thing"]), weak=False, dispatch_uid="t-undo"
    )
    try:
        # when they are merged
        merge = merge_customers(source=source, target=target, reason="same person")
        target.refresh_from_db()
        # then the target holds the identities, timeline, balances and consent; the gaps are filled
        assert target.interactions.count() == 4
        assert target.identities.filter(kind="phone").exists() and target.card_number == "600000000001"
        assert target.loyalty_account.balance == 120 and target.store_credit.balance == Decimal("15.50")
        assert target.consents.get(channel="sms").granted
        assert target.channels == ["app", "store"]
        assert received == [merge.pk]
        merge.refresh_from_db()
        assert merge.moved["otherapp.Thing"] == [7, 8]  # what receivers record is kept for the undo
        assert resolve_customer(identities={"phone": "07700900123"}).pk == target.pk
        assert AuditEvent.objects.filter(action="customer.merged", object_id=str(target.pk)).exists()

        # when the merge is undone
        undo_merge(merge=merge)
        source.refresh_from_db()
        target.refresh_from_db()
        # then each profile has exactly what it had before
        assert source.merged_into_id is None
        assert source.interactions.count() == 3 and target.interactions.count() == 1
        assert source.loyalty_account.balance == 120 and target.loyalty_account.balance == 0
        assert source.store_credit.balance == Decimal("15.50") and target.store_credit.balance == 0
        assert target.card_number == "" and target.channels == ["app"]
        assert resolve_customer(identities={"phone": "07700900123"}).pk == source.pk
        assert undone == [[7, 8]]
    finally:
        customer_merged.disconnect(dispatch_uid="t-merge")
        customer_merge_undone.disconnect(dispatch_uid="t-undo")


def test_undo_is_refused_when_the_moved_points_were_spent():
    from customers.services import redeem_points

    target, source = CustomerFactory(), CustomerFactory()
    earn_points(customer=source, points=100, reference="ORD-9")
    merge = merge_customers(source=source, target=target)
    redeem_points(customer=target, points=60, reference="ORD-10")
    with pytest.raises(CustomerError) as err:
        undo_merge(merge=merge)
    assert err.value.code == "merge_undo_blocked"
    source.refresh_from_db()
    assert source.merged_into_id == target.pk  # nothing half-undone


def test_a_merged_profile_cannot_be_merged_again():
    a, b, c = CustomerFactory(), CustomerFactory(), CustomerFactory()
    merge_customers(source=a, target=b)
    with pytest.raises(CustomerError) as err:
        merge_customers(source=a, target=c)
    assert err.value.code == "already_merged"


def test_merge_joins_wishlists_and_keeps_one_offer_and_undo_splits_them_again(catalog):
    from customers.models import ListItem, OfferAssignment
    from customers.services import add_list_item, assign_offer
    from tests.customers.factories import OfferFactory

    target, source = CustomerFactory(), CustomerFactory()
    add_list_item(customer=target, sku="A-M", channel="app")
    add_list_item(customer=source, sku="A-M", channel="web")  # on both lists
    add_list_item(customer=source, sku="B-M", channel="web")
    add_list_item(customer=source, sku="C-S", channel="store", kind="shopping")
    offer, other = OfferFactory(code="both"), OfferFactory(code="source-only")
    assign_offer(offer=offer, customer=target)
    assign_offer(offer=offer, customer=source)
    assign_offer(offer=other, customer=source)
    # when merged, the target has one wishlist with A and B, the shopping list, and both offers once
    merge = merge_customers(source=source, target=target)
    wish = target.lists.get(kind="wishlist")
    assert sorted(wish.items.values_list("variant__sku", flat=True)) == ["A-M", "B-M"]
    assert target.lists.filter(kind="shopping").exists()
    assert sorted(OfferAssignment.objects.filter(customer=target).values_list("offer__code", flat=True)) == [
        "both",
        "source-only",
    ]
    # when undone, each has its own lists and offers back
    undo_merge(merge=merge)
    assert sorted(ListItem.objects.filter(customer_list__customer=source).values_list("variant__sku", flat=True)) == [
        "A-M",
        "B-M",
        "C-S",
    ]
    assert list(target.lists.get(kind="wishlist").items.values_list("variant__sku", flat=True)) == ["A-M"]
    assert OfferAssignment.objects.filter(customer=source).count() == 2
