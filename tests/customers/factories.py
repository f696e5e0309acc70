"""Factories for the customers app."""

from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from customers.models import Customer, Interaction, LoyaltyTier, Offer


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.Sequence(lambda n: f"shopper{n}@example.com")
    search_name = factory.LazyAttribute(lambda o: f"{o.first_name} {o.last_name}".lower())
    created_at = factory.LazyFunction(timezone.now)
    updated_at = factory.LazyFunction(timezone.now)


class InteractionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Interaction

    customer = factory.SubFactory(CustomerFactory)
    channel = "app"
    kind = "product_view"
    occurred_at = factory.LazyFunction(timezone.now)
    subject = "TSH-BLU-M"
    source = "test"
    external_id = factory.Sequence(lambda n: f"ev-{n}")
    recorded_at = factory.LazyFunction(timezone.now)


class TierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LoyaltyTier
        django_get_or_create = ["code"]

    code = "gold"
    name = "Gold"
    min_spend = Decimal("500.00")
    points_per_unit = Decimal("2.00")


class OfferFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Offer

    code = factory.Sequence(lambda n: f"offer-{n}")
    name = "Ten percent"
    discount_percent = Decimal("10.00")
    discount_amount = None
    currency = factory.LazyAttribute(lambda o: "EUR" if o.discount_amount is not None else "")  # tests' home
    channels = ["app", "web", "store"]
    requires_email_consent = False
    valid_from = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    valid_until = factory.LazyFunction(lambda: timezone.now() + timedelta(days=30))


def many_interactions(customer, count: int, *, channel: str = "app") -> None:
    """`count` timeline rows for a customer in one insert (history-size tests)."""
    now = timezone.now()
    Interaction.objects.bulk_create(
        [
            Interaction(
                customer=customer,
                channel=("app", "web", "store")[i % 3] if channel == "mixed" else channel,
                kind="product_view",
                occurred_at=now - timedelta(minutes=i),
                subject=f"SKU-{i % 50}",
                source="bulk",
                external_id=f"{customer.pk}-{i}",
                recorded_at=now,
            )
            for i in range(count)
        ],
        batch_size=2000,
    )
