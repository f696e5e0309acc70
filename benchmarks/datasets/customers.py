"""Shoppers: `customers` profiles with identities, consents, loyalty, and `interactions` over two years.

Each shopper has a channel set (multichannel app+web+store 45%, store only 25%, web only 12%, app
only 10%, app+store 8%; some also phone or kiosk, and email if they agreed to it) and a timeline
drawn only from those channels, so `Customer.channels` is what the timeline shows (the orders
builder buys on the same channels). Interactions per shopper are heavy-tailed (most have a few,
some dozens) and one shopper in ~5,000 is a regular with 1,500-3,000 events, as clienteling sees.
Rows are written the way customers' services write them: lower-case stripped email, E.164 phone,
card without spaces, each also a `CustomerIdentity`; `search_name` lower-case, single-spaced.
Names come from precomputed pools (no Faker per row); everything streams into COPY.
"""

import json
import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from benchmarks.bulk import analyze, copy_rows
from benchmarks.context import DatasetContext
from benchmarks.datasets._loading import indexes_after_load, key_interactions, next_id, reset_sequences
from benchmarks.registry import dataset
from customers.models import (
    Consent,
    Customer,
    CustomerIdentity,
    CustomerList,
    Interaction,
    InteractionKey,
    ListItem,
    LoyaltyAccount,
    LoyaltyTier,
    Note,
    Offer,
    OfferAssignment,
    PointsEntry,
    StoreCreditAccount,
    StoreCreditEntry,
    Task,
)
from customers.partitions import ensure_partitions
from customers.seed import FIRST, LAST, NOTE_TEXTS, TIERS, WEB_SEARCHES
from inventory.models import Variant
from retail.models import Store, StoreMembership

DAYS = 730
MORE_FIRST = [
    "Alice",
    "Anna",
    "Beatrice",
    "Carys",
    "Clara",
    "Daisy",
    "Eleanor",
    "Elsie",
    "Erin",
    "Esme",
    "Eva",
    "Florence",
    "Hannah",
    "Harriet",
    "Imogen",
    "Jessica",
    "Lucy",
    "Maisie",
    "Maya",
    "Matilda",
    "Millie",
    "Molly",
    "Nancy",
    "Olive",
    "Phoebe",
    "Ruby",
    "Scarlett",
    "Sienna",
    "Sofia",
    "Violet",
    "Zoe",
    "Amira",
    "Fatima",
    "Leila",
    "Chiara",
    "Giulia",
    "Lena",
    "Marie",
    "Camille",
    "Lea",
    "Ines",
    "Lucia",
    "Martina",
    "Sara",
    "Emma",
    "Julia",
    "Ella-Rose",
    "Aoife",
    "Saoirse",
    "Orla",
    "Alfie",
    "Benjamin",
    "Daniel",
    "Edward",
    "Elijah",
    "Ethan",
    "Felix",
    "Freddie",
    "Gabriel",
    "Isaac",
    "Jacob",
    "James",
    "Joseph",
    "Joshua",
    "Louis",
    "Max",
    "Mason",
    "Adam",
    "Reuben",
    "Ronnie",
    "Rory",
    "Sebastian",
    "Stanley",
    "Teddy",
    "Tommy",
    "William",
    "Zachary",
    "Ibrahim",
    "Yusuf",
    "Omar",
    "Ali",
    "Hamza",
    "Ravi",
    "Arjun",
    "Dev",
    "Luca",
    "Matteo",
    "Lorenzo",
    "Hugo",
    "Jules",
    "Paul",
    "Lukas",
    "Jonas",
    "Finn",
    "Mateo",
    "Pablo",
    "Diego",
    "Liam",
    "Sean",
    "Conor",
    "Cian",
    "Ewan",
    "Angus",
    "Hamish",
]
SURNAME_HEADS = [
    "Ash",
    "Black",
    "Brad",
    "Brook",
    "Cal",
    "Clay",
    "Cran",
    "Dal",
    "Den",
    "Elm",
    "Fair",
    "Farn",
    "Gold",
    "Green",
    "Hart",
    "Haw",
    "Hol",
    "Kings",
    "Lang",
    "Lin",
]
SURNAME_TAILS = [
    "bury",
    "by",
    "combe",
    "croft",
    "den",
    "field",
    "ford",
    "gate",
    "ham",
    "hill",
    "hurst",
    "ley",
    "low",
    "more",
    "stead",
    "ton",
    "well",
    "wick",
    "wood",
    "worth",
]
DOMAINS = ["example.com", "example.org", "example.net", "mail.test", "post.test"]
# Channel sets and how many shoppers have each (app+web+store is "multichannel").
MIXES = [(("app", "store", "web"), 45), (("store",), 25), (("web",), 12), (("app",), 10), (("app", "store"), 8)]
SIZES = {"women-tops": ["XS", "S", "M", "L"], "men-shirts": ["S", "M", "L", "XL"], "women-denim": ["S", "M", "L"]}
APP_KINDS = (["product_view"] * 62) + (["search"] * 12) + (["add_to_cart"] * 12) + (["wishlist_add"] * 6)
WEB_KINDS = (["product_view"] * 68) + (["search"] * 16) + (["add_to_cart"] * 11) + (["wishlist_add"] * 5)


def _pools(rng: random.Random) -> tuple[list[str], list[str]]:
    """First and last names, common ones repeated (a Zipf-like share) as in a real customer base."""
    firsts = FIRST + MORE_FIRST
    lasts = LAST + [h + t for h in SURNAME_HEADS for t in SURNAME_TAILS]
    rng.shuffle(firsts)
    rng.shuffle(lasts)
    weighted_first = [name for rank, name in enumerate(firsts) for _ in range(max(1, 40 // (rank + 1)))]
    weighted_last = [name for rank, name in enumerate(lasts) for _ in range(max(1, 60 // (rank + 1)))]
    return weighted_first, weighted_last


def _interaction_counts(rng: random.Random, sets: list[tuple], total: int) -> list[int]:
    """Per shopper, heavy-tailed, at least one event per channel of their set, summing to `total`."""
    n = len(sets)
    heavy = max(1, min(3000, total // 10))
    counts = []
    for i, channels in enumerate(sets):
        if i % 4999 == 3:
            counts.append(rng.randint(heavy // 2, heavy))
        else:
            counts.append(len(channels) + int(rng.paretovariate(1.6)) - 1)
    floor = [len(c) for c in sets]
    if sum(floor) > total:
        raise ValueError(f"{total} interactions cannot give {n} shoppers one per channel they use.")
    spare = total - sum(counts)
    if spare > 0:  # spread the rest in proportion to a second heavy-tailed draw
        weights = [min(400.0, rng.paretovariate(1.4)) for _ in range(n)]
        scale = spare / sum(weights)
        for i in range(n):
            counts[i] += int(weights[i] * scale)
    diff = total - sum(counts)
    while diff:
        i = rng.randrange(n)
        if diff > 0:
            counts[i] += 1
            diff -= 1
        elif counts[i] > floor[i]:
            counts[i] -= 1
            diff += 1
    return counts


@dataset(order=30)
def build(ctx: DatasetContext) -> None:
    """Customers, identities, consents, loyalty, clienteling work, lists, offers; interactions over two years."""
    rng, now = ctx.rng, timezone.now().replace(microsecond=0)
    n, total = ctx.count("customers"), ctx.count("interactions")
    stores = list(Store.objects.active().filter(kind=Store.Kind.STORE).order_by("pk").values_list("pk", flat=True))
    if not stores:
        raise LookupError("The customers builder needs the retail builder's stores.")
    associate_of = dict(StoreMembership.objects.filter(store_id__in=stores).values_list("store_id", "user_id"))
    skus = list(Variant.objects.filter(is_active=True).order_by("pk").values_list("sku", flat=True)) or ["-"]
    variant_ids = list(Variant.objects.filter(is_active=True).order_by("pk").values_list("pk", flat=True))
    firsts, lasts = _pools(rng)
    first_id = next_id(Customer)
    horizon = now - timedelta(days=DAYS)

    # --- one compact plan per shopper (memory: a few hundred bytes each) ------------------------
    # (first, last, email, phone, card, home store, channel set, created, last seen, email consent)
    plans = []
    mixes, weights = zip(*MIXES, strict=True)
    for i in range(n):
        cid = first_id + i
        first, last = rng.choice(firsts), rng.choice(lasts)
        channels = set(rng.choices(mixes, weights)[0])
        if "store" in channels and rng.random() < 0.12:
            channels.add("phone")
        if "store" in channels and rng.random() < 0.10:
            channels.add("kiosk")
        email = (
            f"{first}.{last}{cid}@{DOMAINS[i % len(DOMAINS)]}".lower().replace("'", "") if rng.random() < 0.93 else ""
        )
        phone = f"+4477{10_000_000 + cid:08d}" if rng.random() < 0.85 else ""
        card = f"6000{cid:08d}" if channels != {"web"} or rng.random() < 0.3 else ""
        consent_email = bool(email) and rng.random() < 0.6
        if consent_email and rng.random() < 0.5:
            channels.add("email")
        home = rng.choice(stores) if "store" in channels or rng.random() < 0.4 else None
        created = now - timedelta(days=rng.randint(1, DAYS + 270), seconds=rng.randrange(86400))
        seen = now - timedelta(seconds=int(rng.expovariate(1 / (40 * 86400))))
        if seen < created:
            seen = created + (now - created) * rng.random()
        plans.append((first, last, email, phone, card, home, tuple(sorted(channels)), created, seen, consent_email))

    sizes_json = [json.dumps({k: rng.choice(v)}) for k, v in SIZES.items()]

    def customer_rows():
        for i, (first, last, email, phone, card, home, channels, created, seen, _) in enumerate(plans):
            cid = first_id + i
            book = associate_of.get(home) if home and rng.random() < 0.05 else None
            yield (
                cid,
                first,
                last,
                email,
                phone,
                card,
                date(1950 + cid % 56, 1 + cid % 12, 1 + cid % 28) if cid % 10 < 7 else None,
                "[]",
                home,
                rng.choice(sizes_json) if rng.random() < 0.5 else "{}",
                book,
                None,
                False,
                None,
                None,
                " ".join(f"{first} {last}".lower().split())[:170],
                json.dumps(list(channels)),
                seen,
                created,
                created,
                "",  # language: the store's market's
            )

    def identity_rows():
        for i, (_, _, email, phone, card, _, channels, created, seen, _) in enumerate(plans):
            cid = first_id + i
            for kind, value in (("email", email), ("phone", phone), ("card", card)):
                if value:
                    yield cid, kind, value, created, None
            if "app" in channels:
                yield cid, "app_install", f"app-{cid:08d}", created, seen
            if "web" in channels:
                yield cid, "web_cookie", f"ck-{cid:08d}", created, seen

    def consent_rows():
        for i, (_, _, _, phone, _, _, channels, created, _, consent_email) in enumerate(plans):
            cid = first_id + i
            source = channels[0] if channels[0] in ("app", "web") else "store"
            if consent_email:
                yield cid, "email", True, created, source
            if phone and rng.random() < 0.3:
                yield cid, "sms", True, created, source
            if "app" in channels and rng.random() < 0.45:
                yield cid, "push", True, created, "app"

    first_interaction = next_id(Interaction)
    ensure_partitions(since=horizon)  # interactions start there: a month each, not the `before` catch-all
    with indexes_after_load(Customer, CustomerIdentity, Consent, Interaction, InteractionKey):
        copy_rows(
            Customer,
            [
                *("id", "first_name", "last_name", "email", "phone", "card_number", "birthday", "important_dates"),
                *("home_store", "preferred_sizes", "assigned_associate", "user", "is_anonymous", "merged_into"),
                *("erased_at", "search_name", "channels", "last_seen_at", "created_at", "updated_at", "language"),
            ],
            customer_rows(),
        )
        identities = copy_rows(
            CustomerIdentity, ["customer", "kind", "value", "created_at", "last_seen_at"], identity_rows()
        )
        consents = copy_rows(Consent, ["customer", "channel", "granted", "changed_at", "source"], consent_rows())
        written = copy_rows(
            Interaction,
            [
                *("customer", "channel", "kind", "occurred_at", "store", "associate", "subject", "data"),
                *("source", "external_id", "recorded_at"),
            ],
            _interactions(rng, plans, first_id, total, stores, associate_of, skus, horizon),
        )
        key_interactions(first_interaction)
    reset_sequences(Customer)
    _loyalty(rng, plans, first_id, now)
    _clienteling(rng, plans, first_id, now, associate_of, variant_ids)
    analyze(Customer, CustomerIdentity, Consent, Interaction, InteractionKey, LoyaltyAccount, PointsEntry)
    analyze(Note, Task, CustomerList, ListItem, OfferAssignment, StoreCreditAccount, StoreCreditEntry)
    ctx.log(f"  {n} customers, {identities} identities, {consents} consents, {written} interactions")


def _interactions(rng, plans, first_id, total, stores, associate_of, skus, horizon):
    """Stream the timeline rows, one shopper after another (in the column order of the COPY)."""
    counts = _interaction_counts(rng, [p[6] for p in plans], total)
    searches = [(term, json.dumps({"query": term})) for term in WEB_SEARCHES]
    serial = 0
    random_, choice = rng.random, rng.choice
    for i, (_, _, _, _, _, home, channels, created, seen, _) in enumerate(plans):
        cid = first_id + i
        start = max(created, horizon).timestamp()
        span = max(0.0, seen.timestamp() - start)
        for j in range(counts[i]):
            serial += 1
            channel = channels[j] if j < len(channels) else choice(channels)
            when = datetime.fromtimestamp(start + span * random_() if j else seen.timestamp(), UTC)
            store = associate = None
            subject, data = "", "{}"
            if channel == "store":
                store = home or choice(stores)
                kind, source = "store_visit", "pos"
                if random_() < 0.15:
                    associate = associate_of.get(store)
            elif channel in ("app", "web", "kiosk"):
                kind = choice(APP_KINDS if channel == "app" else WEB_KINDS)
                if kind == "search":
                    subject, data = choice(searches)
                else:
                    subject = choice(skus)
                if channel == "app" and random_() < 0.08:
                    kind, subject = "app_open", ""
                if channel == "kiosk":
                    store = home or choice(stores)
                source = f"events:{channel}"
            elif channel == "email":
                kind, subject, source = "message_sent", "The new season edit", "messaging"
            else:  # phone: the shopper called the store
                store = home or choice(stores)
                kind, subject, source = "message_received", "Called the store", "portal"
                associate = associate_of.get(store)
            yield cid, channel, kind, when, store, associate, subject, data, source, f"bench-{serial}", when


def _loyalty(rng, plans, first_id, now) -> None:
    """An account for every card holder: tier by 12-month spend, the balance explained by one entry."""
    tiers = []
    for code, name, min_spend, rate in TIERS:
        tier, _ = LoyaltyTier.objects.update_or_create(
            code=code, defaults={"name": name, "min_spend": Decimal(min_spend), "points_per_unit": Decimal(rate)}
        )
        tiers.append(tier)
    first_account = next_id(LoyaltyAccount)
    accounts = []
    for i, plan in enumerate(plans):
        if not plan[4]:
            continue
        spend = Decimal(int(rng.paretovariate(1.2) * 6000)) / 100
        tier = next(t for t in reversed(tiers) if t.min_spend <= spend)
        balance = int(spend * tier.points_per_unit) if rng.random() < 0.8 else 0
        accounts.append((first_account + len(accounts), first_id + i, balance, tier.pk, spend, plan[8], plan[7]))
    with indexes_after_load(LoyaltyAccount, PointsEntry):
        copy_rows(
            LoyaltyAccount,
            ["id", "customer", "balance", "tier", "spend_12m", "last_activity_at", "created_at", "spend_detail"],
            ((*account, {}) for account in accounts),  # spend_detail: filled by the first recount
        )
        copy_rows(
            PointsEntry,
            ["account", "kind", "points", "reference", "note", "actor", "created_at"],
            (
                (a, "adjust", b, "bench:opening-balance", "Opening balance", None, s)
                for a, _, b, _, _, s, _ in accounts
                if b
            ),
        )
    reset_sequences(LoyaltyAccount)


def _clienteling(rng, plans, first_id, now, associate_of, variant_ids) -> None:
    """Notes and tasks from home-store associates, wishlists, offers, and some store credit."""
    today = timezone.localdate()
    staffed = [(first_id + i, p[5]) for i, p in enumerate(plans) if p[5] and associate_of.get(p[5])]
    rich = [(cid, store) for cid, store in staffed if (cid - first_id) % 4999 == 3 or rng.random() < 0.05]
    copy_rows(
        Note,
        ["customer", "author", "store", "body", "pinned", "created_at"],
        (
            (
                cid,
                associate_of[store],
                store,
                rng.choice(NOTE_TEXTS),
                rng.random() < 0.3,
                now - timedelta(days=rng.randint(1, 400)),
            )
            for cid, store in rich
            for _ in range(rng.randint(1, 3))
        ),
    )
    copy_rows(
        Task,
        [
            *("customer", "store", "kind", "channel", "title", "due_on", "assignee", "status", "reason"),
            *("trigger_key", "created_by", "created_at", "completed_at"),
        ],
        (
            (
                *(cid, store, "call", "", "Call about the new season", today + timedelta(days=rng.randint(-3, 14))),
                *(associate_of[store], "open", "manual", "", associate_of[store]),
                *(now - timedelta(days=rng.randint(0, 9)), None),
            )
            for cid, store in staffed
            if rng.random() < 0.01
        ),
    )
    first_list = next_id(CustomerList)
    lists = [
        (first_list + k, cid, rng.choice(["app", "web", "store"]))
        for k, cid in enumerate(cid for cid in range(first_id, first_id + len(plans)) if rng.random() < 0.1)
    ]
    copy_rows(
        CustomerList,
        ["id", "customer", "kind", "name", "created_at", "updated_at"],
        ((lid, cid, "wishlist", "Wishlist", now, now) for lid, cid, _ in lists),
    )
    if variant_ids:
        copy_rows(
            ListItem,
            ["customer_list", "variant", "quantity", "channel", "added_at"],
            (
                (lid, variant, 1, channel, now - timedelta(days=rng.randint(0, 120)))
                for lid, _, channel in lists
                for variant in rng.sample(variant_ids, min(len(variant_ids), rng.randint(1, 4)))
            ),
        )
    reset_sequences(CustomerList)
    offers = [
        Offer.objects.create(
            code="bench-welcome10", name="Welcome: 10% off your first order", discount_percent=Decimal("10"),
            first_purchase_only=True, channels=["app", "web", "store"], valid_from=now - timedelta(days=30),
            valid_until=now + timedelta(days=60),
        ),
        Offer.objects.create(
            code="bench-app5", name="€5 off in the app", discount_amount=Decimal("5.00"), currency="EUR",
            segment=Offer.Segment.MULTICHANNEL, channels=["app"], valid_from=now - timedelta(days=7),
            valid_until=now + timedelta(days=60),
        ),
    ]  # fmt: skip
    copy_rows(
        OfferAssignment,
        ["offer", "customer", "assigned_at", "redeemed_at", "redeemed_channel", "redeemed_reference", "redeemed_store"],
        (
            (offer.pk, first_id + i, now - timedelta(days=rng.randint(0, 7)), None, "", "", None)
            for i, plan in enumerate(plans)
            for offer in offers
            if (offer.code != "bench-app5" or len(plan[6]) > 1) and rng.random() < 0.15
        ),
    )
    first_credit = next_id(StoreCreditAccount)
    credits = [
        (first_credit + k, cid, Decimal(rng.choice(["10.00", "15.50", "25.00", "39.99"])), store)
        for k, (cid, store) in enumerate(c for c in staffed if rng.random() < 0.03)
    ]
    copy_rows(
        StoreCreditAccount,
        ["id", "customer", "balance", "created_at"],
        ((aid, cid, amount, now - timedelta(days=20)) for aid, cid, amount, _ in credits),
    )
    copy_rows(
        StoreCreditEntry,
        ["account", "kind", "amount", "reference", "actor", "store", "created_at"],
        (
            (aid, "issue", amount, f"bench-credit-{aid}", None, store, now - timedelta(days=20))
            for aid, _, amount, store in credits
        ),
    )
    reset_sequences(StoreCreditAccount)
