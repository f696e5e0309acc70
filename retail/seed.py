"""Demo chain: stores in five cities, a warehouse, and staff for every role."""

import base64
import functools
import hashlib
from decimal import Decimal

from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from allauth.mfa.utils import is_mfa_enabled
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from retail.models import PosDevice, Store, StoreMembership, User
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

STORES = [
    # code, name, city, postcode, lat, lng, address, kind
    (
        "LON-01",
        "Omnistore Covent Garden",
        "London",
        "WC2E 8RF",
        "51.511800",
        "-0.123300",
        "12 Long Acre",
        "store",
    ),
    (
        "LON-02",
        "Omnistore Canary Wharf",
        "London",
        "E14 5AB",
        "51.504500",
        "-0.019500",
        "Cabot Place",
        "store",
    ),
    (
        "MAN-01",
        "Omnistore Manchester Arndale",
        "Manchester",
        "M4 3AQ",
        "53.483900",
        "-2.238600",
        "Market Street",
        "store",
    ),
    (
        "BHM-01",
        "Omnistore Birmingham Bullring",
        "Birmingham",
        "B5 4BU",
        "52.477400",
        "-1.894000",
        "Bullring",
        "store",
    ),
    (
        "EDI-01",
        "Omnistore Edinburgh Princes St",
        "Edinburgh",
        "EH2 2AN",
        "55.952300",
        "-3.196300",
        "48 Princes Street",
        "store",
    ),
    (
        "BRS-01",
        "Omnistore Bristol Cabot Circus",
        "Bristol",
        "BS1 3BX",
        "51.458800",
        "-2.584600",
        "Glass House",
        "store",
    ),
    (
        "WH-MID",
        "Midlands Distribution Centre",
        "Daventry",
        "NN11 8RB",
        "52.278600",
        "-1.163900",
        "DIRFT Unit 4",
        "warehouse",
    ),
]


@seed_step(order=10, name="stores-and-staff")
def seed_stores_and_staff(ctx: SeedContext) -> None:
    stores = []
    for code, name, city, postcode, lat, lng, address, kind in STORES:
        is_wh = kind == Store.Kind.WAREHOUSE
        store, _ = Store.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "city": city,
                "postcode": postcode,
                "latitude": Decimal(lat),
                "longitude": Decimal(lng),
                "address_line": address,
                "kind": kind,
                "opening_hours": {} if is_wh else WEEKDAYS,
                "pickup_enabled": not is_wh,
                "accepts_returns": True,
                "ships_orders": is_wh or code == "MAN-01",
                "phone": f"+44 20 7946 0{len(stores):03d}",
            },
        )
        stores.append(store)
    ctx.made["stores"] = stores

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
        # people have surnames: the header shows the name and the role as a badge beside it
        manager = person(f"manager.{city}@omnistore.local", f"{first_names[index * 2]} {surnames[index * 2]}")
        associate = person(
            f"associate.{city}@omnistore.local", f"{first_names[index * 2 + 1]} {surnames[index * 2 + 1]}"
        )
        StoreMembership.objects.update_or_create(
            user=manager, store=store, defaults={"role": StoreMembership.Role.MANAGER}
        )
        StoreMembership.objects.update_or_create(
            user=associate, store=store, defaults={"role": StoreMembership.Role.ASSOCIATE}
        )
        staff += [manager, associate]
        if index == 0:
            ctx.logins.append(("store manager (MFA)", manager.email, store.name))
            ctx.logins.append(("store associate", associate.email, store.name))
    # A floater covering both London stores shows the store switcher.
    floater = person("floater.london@omnistore.local", "Fran Floater")
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
