"""Demo chain: three markets (Italy, Poland, the UK) with their tax rates, stores in nine cities, a
warehouse, and staff for every role, each reading the portal in their market's language."""

import base64
import functools
import hashlib
from datetime import date
from decimal import Decimal

from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from allauth.mfa.utils import is_mfa_enabled
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from retail.domain.channel import Channel
from retail.markets import save_market
from retail.models import ExchangeRate, Market, PosDevice, Store, StoreMembership, TaxClass, TaxRate, User
from retail.models.stores import hash_device_token
from retail.seeding import SeedContext, seed_step
from retail.services import record_verified_email

DEMO_PASSWORD = "omnistore-demo"  # noqa: S105 — printed on screen for the demo, never in production
DEMO_TILL = ("LON-01", "Till 1")  # the demo's POS device; its token is printed by the banner


@functools.cache
def demo_password_hash() -> str:
    """The demo password hashed once per process: every demo account shares it (hashing is slow on
    purpose: ~0.3 s a time, 18 accounts)."""
    return make_password(DEMO_PASSWORD)


def demo_pos_token(store_code: str, name: str) -> str:
    """The demo till's token, derived from its store and name so that the banner can print it (demo only)."""
    return "pos_demo_" + hashlib.sha256(f"omnistore-demo-till:{store_code}:{name}".encode()).hexdigest()[:32]


DEMO_APPROVAL_PIN = "246810"  # the seeded managers' approval PIN at the counter (demo only)

WEEKDAYS = {d: ["09:00", "19:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat")} | {"sun": ["11:00", "17:00"]}

# The chain sells in three markets: Italy (EUR, the home market: the catalog's prices and head office's
# reports are in euros), Poland (PLN) and the United Kingdom (GBP). Rates as in force in 2026.
MARKETS = [
    # code, name, countries, currency, language, home
    ("it", "Italia", ["IT", "SM", "VA"], "EUR", "it", True),
    ("pl", "Polska", ["PL"], "PLN", "pl", False),
    ("uk", "United Kingdom", ["GB"], "GBP", "en-gb", False),
]
TAX_CLASSES = [
    ("standard", "Standard rate"),
    ("reduced", "Reduced rate (home textiles and kitchen, in the demo)"),
    ("essential", "Lowest rate (books, basic food, children's clothing)"),
]
TAX_RATES = {  # percent per class
    "it": {"standard": "22.00", "reduced": "10.00", "essential": "4.00"},
    "pl": {"standard": "23.00", "reduced": "8.00", "essential": "5.00"},
    "uk": {"standard": "20.00", "reduced": "5.00", "essential": "0.00"},
}
TAX_RATES_FROM = date(2020, 1, 1)
EXCHANGE_RATES = {"GBP": "1.16279070", "PLN": "0.23255814"}  # 1/0.86 and 1/4.30 (inventory.seed.DEMO_RATES)

UK_HOURS = {d: ["09:00", "19:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat")} | {"sun": ["11:00", "17:00"]}
IT_HOURS = {d: ["10:00", "20:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat")} | {"sun": ["10:00", "19:00"]}
PL_HOURS = {d: ["10:00", "21:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat")}  # Sunday trading ban

STORES = [
    # code, name, city, postcode, lat, lng, address, kind, market, time zone, phone
    ("LON-01", "Omnistore Covent Garden", "London", "WC2E 8RF", "51.511800", "-0.123300", "12 Long Acre", "store",
     "uk", "Europe/London", "+44 20 7946 0000"),
    ("LON-02", "Omnistore Canary Wharf", "London", "E14 5AB", "51.504500", "-0.019500", "Cabot Place", "store",
     "uk", "Europe/London", "+44 20 7946 0001"),
    ("MAN-01", "Omnistore Manchester Arndale", "Manchester", "M4 3AQ", "53.483900", "-2.238600", "Market Street",
     "store", "uk", "Europe/London", "+44 20 7946 0002"),
    ("BHM-01", "Omnistore Birmingham Bullring", "Birmingham", "B5 4BU", "52.477400", "-1.894000", "Bullring",
     "store", "uk", "Europe/London", "+44 20 7946 0003"),
    ("EDI-01", "Omnistore Edinburgh Princes St", "Edinburgh", "EH2 2AN", "55.952300", "-3.196300",
     "48 Princes Street", "store", "uk", "Europe/London", "+44 20 7946 0004"),
    ("BRS-01", "Omnistore Bristol Cabot Circus", "Bristol", "BS1 3BX", "51.458800", "-2.584600", "Glass House",
     "store", "uk", "Europe/London", "+44 20 7946 0005"),
    ("WH-MID", "Midlands Distribution Centre", "Daventry", "NN11 8RB", "52.278600", "-1.163900", "DIRFT Unit 4",
     "warehouse", "uk", "Europe/London", "+44 20 7946 0006"),
    ("MIL-01", "Omnistore Milano Duomo", "Milano", "20121", "45.464700", "9.189500", "Corso Vittorio Emanuele II 15",
     "store", "it", "Europe/Rome", "+39 02 8058 1100"),
    ("ROM-01", "Omnistore Roma Via del Corso", "Roma", "00186", "41.901000", "12.480400", "Via del Corso 189",
     "store", "it", "Europe/Rome", "+39 06 6979 2200"),
    ("WAW-01", "Omnistore Warszawa Centrum", "Warszawa", "00-120", "52.229900", "21.002700", "ul. Złota 59",
     "store", "pl", "Europe/Warsaw", "+48 22 222 3300"),
    ("KRK-01", "Omnistore Kraków Rynek", "Kraków", "31-154", "50.067700", "19.945000", "ul. Pawia 5",
     "store", "pl", "Europe/Warsaw", "+48 12 444 5500"),
]  # fmt: skip
HOURS = {"uk": UK_HOURS, "it": IT_HOURS, "pl": PL_HOURS}
SHIPPING_STORES = {"MAN-01", "MIL-01", "WAW-01"}  # ship-from-store in each market (and the warehouse)
# The Italian and Polish stores' people: (manager, associate), who read the portal in their language.
STAFF = {
    "MIL-01": ("Marco Bianchi", "Giulia Romano"),
    "ROM-01": ("Francesca Ricci", "Luca Esposito"),
    "WAW-01": ("Katarzyna Nowak", "Agnieszka Wiśniewska"),
    "KRK-01": ("Piotr Zieliński", "Tomasz Lewandowski"),
}


def _seed_markets() -> dict[str, Market]:
    """The three markets with their tax classes and rates; the home market made by the first store of a
    fresh database (home_market_defaults) becomes Italy rather than staying beside it."""
    markets = {}
    for code, name, countries, currency, language, home in MARKETS:
        market = Market.objects.filter(code=code).first() or (
            Market.objects.filter(is_home=True, code="home").first() if home else None
        )
        market = market or Market(code=code)
        market.code, market.name, market.countries, market.currency = code, name, countries, currency
        market.default_language, market.languages = language, list(dict.fromkeys([language, "en-gb"]))
        market.online_channels = Channel.online_values()
        market.prices_include_tax, market.is_home = True, home
        markets[code] = save_market(market=market, actor=None)
    for code, name in TAX_CLASSES:
        TaxClass.objects.update_or_create(code=code, defaults={"name": name})
    for market_code, rates in TAX_RATES.items():
        for class_code, rate in rates.items():
            TaxRate.objects.get_or_create(
                market=markets[market_code], tax_class_id=TaxClass.objects.get(code=class_code).pk,
                valid_from=TAX_RATES_FROM, defaults={"rate": Decimal(rate)},
            )  # fmt: skip
    # Head office reports in euros: the złoty and the pound at the rate the demo's price lists use.
    for currency, rate in EXCHANGE_RATES.items():
        ExchangeRate.objects.get_or_create(
            currency=currency, reporting_currency="EUR", valid_from=TAX_RATES_FROM,
            defaults={"rate": Decimal(rate), "source": "demo: the rate of the price lists"},
        )  # fmt: skip
    return markets


@seed_step(order=10, name="stores-and-staff")
def seed_stores_and_staff(ctx: SeedContext) -> None:
    markets = _seed_markets()
    stores = []
    for code, name, city, postcode, lat, lng, address, kind, market, zone, phone in STORES:
        is_wh = kind == Store.Kind.WAREHOUSE
        store, _ = Store.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "city": city,
                "postcode": postcode,
                "country": {"it": "IT", "pl": "PL", "uk": "GB"}[market],
                "market": markets[market],
                "time_zone": zone,
                "latitude": Decimal(lat),
                "longitude": Decimal(lng),
                "address_line": address,
                "kind": kind,
                "opening_hours": {} if is_wh else HOURS[market],
                "pickup_enabled": not is_wh,
                "accepts_returns": True,
                "ships_orders": is_wh or code in SHIPPING_STORES,
                "phone": phone,
            },
        )
        stores.append(store)
    ctx.made["stores"] = stores
    ctx.made["markets"] = markets

    def person(email, full_name, **extra):
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(email=email, password=None, full_name=full_name, **extra)
            User.objects.filter(pk=user.pk).update(password=demo_password_hash())
        record_verified_email(user=user)  # staff made by head office sign in without a code
        return user

    admin = person("admin@omnistore.local", "Ada Admin", is_staff=True, is_superuser=True)
    ctx.logins.append(("head office admin (MFA)", admin.email, "superuser: admin, portal in every store"))
    # Head office without an admin role: the portal across every store (insights for the chain).
    head_office = person("headoffice@omnistore.local", "Hana Headoffice", is_staff=True)
    head_office.user_permissions.add(Permission.objects.get(content_type__app_label="insights", codename="view_report"))
    for group_name, email, full_name in [
        ("merchandiser", "merch@omnistore.local", "Mia Merchandiser"),
        ("customer-service", "care@omnistore.local", "Cal Care"),
    ]:
        user = person(email, full_name, is_staff=True)
        user.groups.add(Group.objects.get(name=group_name))
        ctx.logins.append((f"head office {group_name} (MFA)", email, "admin"))

    first_names = [
        "Sam",
        "Priya",
        "Tom",
        "Aisha",
        "Liam",
        "Chloe",
        "Noah",
        "Zara",
        "Owen",
        "Maya",
        "Jack",
        "Ines",
    ]
    surnames = [
        "Okafor",
        "Shah",
        "Byrne",
        "Rahman",
        "Murphy",
        "Dubois",
        "Evans",
        "Malik",
        "Price",
        "Kowalski",
        "Reid",
        "Silva",
    ]
    staff = []
    for index, store in enumerate(s for s in stores if s.kind == Store.Kind.STORE):
        city = store.code.split("-")[0].lower() + store.code.split("-")[1]
        # people have surnames: the header shows the name and the role as a badge beside it; each reads
        # the portal in their market's language, chosen on their account (the banner prints it)
        names = STAFF.get(store.code) or (
            f"{first_names[index * 2]} {surnames[index * 2]}",
            f"{first_names[index * 2 + 1]} {surnames[index * 2 + 1]}",
        )
        language = store.market.default_language
        manager = person(f"manager.{city}@omnistore.local", names[0], language=language)
        associate = person(f"associate.{city}@omnistore.local", names[1], language=language)
        StoreMembership.objects.update_or_create(
            user=manager, store=store, defaults={"role": StoreMembership.Role.MANAGER}
        )
        StoreMembership.objects.update_or_create(
            user=associate, store=store, defaults={"role": StoreMembership.Role.ASSOCIATE}
        )
        staff += [manager, associate]
        if index == 0 or store.code in ("MIL-01", "WAW-01"):
            ctx.logins.append(("store manager (MFA)", manager.email, f"{store.name}, {language}"))
            ctx.logins.append(("store associate", associate.email, f"{store.name}, {language}"))
    # A floater covering both London stores shows the store switcher.
    floater = person("floater.london@omnistore.local", "Fran Floater", language="en-gb")
    for store in stores[:2]:
        StoreMembership.objects.update_or_create(
            user=floater, store=store, defaults={"role": StoreMembership.Role.ASSOCIATE}
        )
    ctx.logins.append(("associate in two stores", floater.email, "LON-01 and LON-02"))
    ctx.made["staff"] = staff
    code, name = DEMO_TILL
    till_store = next((s for s in stores if s.code == code), None)
    if till_store is not None and not PosDevice.objects.filter(store=till_store, name=name).exists():
        token = demo_pos_token(code, name)
        PosDevice.objects.create(
            store=till_store, name=name, token_prefix=token[4:12], token_hash=hash_device_token(token)
        )
    # Roles that must use MFA are enrolled up front so the demo works; `manage.py demo_totp` prints codes.
    from retail.selectors import requires_mfa

    for user in User.objects.filter(email__endswith="@omnistore.local"):
        if requires_mfa(user) and not is_mfa_enabled(user):
            TOTP.activate(user, base64.b32encode(f"omnistore-demo-{user.email}".encode()).decode()[:32])
            RecoveryCodes.activate(user)
    # Managers approve at the returns desk and the till with their approval PIN (retail.approvals):
    # one hash for all of them, written in one statement (the demo seeds fast).
    StoreMembership.objects.filter(
        role=StoreMembership.Role.MANAGER, user__email__endswith="@omnistore.local", approval_pin=""
    ).update(approval_pin=make_password(DEMO_APPROVAL_PIN), approval_pin_set_at=timezone.now())
    staff_accounts = User.objects.filter(email__endswith="@omnistore.local", is_active=True).count()
    ctx.log(f"  {len(stores)} locations, {staff_accounts} staff accounts, the demo till of {DEMO_TILL[0]}")
