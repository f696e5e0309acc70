"""factory-boy factories for the core app; each app's tests add theirs in tests/<app>/factories.py."""

from decimal import Decimal

import factory
from django.contrib.auth.models import Group

from retail.domain.channel import Channel
from retail.markets import save_market
from retail.models import Market, Store, StoreMembership, User
from retail.services import record_verified_email

TEST_PASSWORD = "correct-horse-battery"


class StoreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Store
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"ST-{n:03d}")
    name = factory.LazyAttribute(lambda o: f"Store {o.code}")
    city = "London"
    latitude = Decimal("51.507200")
    longitude = Decimal("-0.127600")
    kind = Store.Kind.STORE


class MarketFactory(factory.django.DjangoModelFactory):
    """Poland (PLN, Polish, prices with tax, sold on the web) unless a test says otherwise, saved the
    way head office saves a market (`save_market`: checked and audited). The one market fixture of the
    tests: `MarketFactory()`, `MarketFactory(languages=["pl", "en-gb"])`, `MarketFactory(code="b2b", ...)`."""

    class Meta:
        model = Market

    code = "pl"
    name = "Poland"
    countries = factory.LazyFunction(lambda: ["PL"])
    currency = "PLN"
    default_language = "pl"
    languages = factory.LazyFunction(list)
    online_channels = factory.LazyFunction(lambda: [Channel.WEB.value])
    prices_include_tax = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return save_market(market=model_class(*args, **kwargs), actor=None)


class WarehouseFactory(StoreFactory):
    code = factory.Sequence(lambda n: f"WH-{n:03d}")
    kind = Store.Kind.WAREHOUSE
    pickup_enabled = False
    ships_orders = True


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    full_name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def groups(self, create, extracted, **kwargs):
        if create and extracted:
            for name in extracted:
                self.groups.add(Group.objects.get(name=name))
        if create:
            self.save()

    @factory.post_generation
    def email_verified(self, create, extracted, **kwargs):
        """Sign-in needs a verified email. Staff (is_staff, superuser, a group, a membership) are
        made by head office with theirs verified; a shopper's login has not proven its email unless
        the test says so (`UserFactory(email_verified=True)`), as after allauth's code."""
        if not create:
            return
        verified = extracted if extracted is not None else (self.is_staff or self.is_superuser or self.groups.exists())
        if verified:
            record_verified_email(user=self)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StoreMembership
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    store = factory.SubFactory(StoreFactory)
    role = StoreMembership.Role.ASSOCIATE

    @factory.post_generation
    def staff_email_verified(self, create, extracted, **kwargs):
        """A store's staff account is made by head office: its email is verified (see UserFactory)."""
        if create and extracted is not False:
            record_verified_email(user=self.user)
