"""Demo shoppers: ~2,000 profiles with multichannel histories, loyalty, offers, notes, tasks, lists.

Everything is bulk-inserted and drawn from ctx.rng, so a given --seed
always gives the same chain. Purchases are timeline interactions in the shape orders will write.
"""

import unicodedata
from collections import defaultdict
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.utils import timezone

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
    PurchasedItem,
    StoreCreditAccount,
    StoreCreditEntry,
    Tag,
    Task,
)
from customers.services import assign_offer_to_segment, update_rows
from customers.services.loyalty import converted_spend
from inventory.seed import local_price
from retail.bulk import copy_models
from retail.domain.channel import Channel
from retail.exchange_rates import rates_on
from retail.markets import home_currency
from retail.models import Store, StoreMembership, User
from retail.seed import demo_password_hash
from retail.seeding import SeedContext, seed_step
from retail.services import record_verified_email

FIRST = [
    "Olivia",
    "Amelia",
    "Isla",
    "Ava",
    "Mia",
    "Ivy",
    "Lily",
    "Isabella",
    "Rosie",
    "Sophia",
    "Grace",
    "Freya",
    "Willow",
    "Emily",
    "Poppy",
    "Ella",
    "Evie",
    "Aisha",
    "Priya",
    "Zara",
    "Noah",
    "Oliver",
    "George",
    "Arthur",
    "Leo",
    "Muhammad",
    "Harry",
    "Oscar",
    "Archie",
    "Henry",
    "Theo",
    "Jack",
    "Charlie",
    "Finley",
    "Arlo",
    "Thomas",
    "Lucas",
    "Rohan",
    "Kai",
    "Samuel",
    "Niamh",
    "Siobhan",
    "Callum",
    "Euan",
    "Fraser",
    "Megan",
    "Chloe",
    "Dylan",
]
LAST = [
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Davies",
    "Patel",
    "Robinson",
    "Wright",
    "Thompson",
    "Evans",
    "Walker",
    "White",
    "Roberts",
    "Green",
    "Hall",
    "Wood",
    "Jackson",
    "Clarke",
    "Khan",
    "Hughes",
    "Edwards",
    "Hussain",
    "Lewis",
    "Harris",
    "Martin",
    "Cooper",
    "King",
    "Lee",
    "Morgan",
    "Campbell",
    "Stewart",
    "MacDonald",
    "Murray",
    "Singh",
    "Okafor",
    "Nowak",
    "Kowalski",
    "Rossi",
    "Murphy",
    "O'Brien",
]
TIERS = [
    ("member", "Member", "0.00", "1.00"),
    ("silver", "Silver", "250.00", "1.25"),
    ("gold", "Gold", "750.00", "1.50"),
    ("platinum", "Platinum", "2000.00", "2.00"),
]
# The tiers' and offers' names in the Milan and Warsaw stores' languages (retail.domain.texts)
TIER_NAMES = {
    "member": {"it": "Membro", "pl": "Członek"},
    "silver": {"it": "Argento", "pl": "Srebrny"},
    "gold": {"it": "Oro", "pl": "Złoty"},
    "platinum": {"it": "Platino", "pl": "Platynowy"},
}
OFFER_TEXTS = {
    "welcome10": {
        "it": {"name": "Benvenuto: 10% di sconto sul primo ordine"},
        "pl": {"name": "Witaj: 10% zniżki na pierwsze zamówienie"},
    },
    "gold20": {
        "it": {"name": "Weekend Oro: 20% di sconto"},
        "pl": {"name": "Złoty weekend: 20% zniżki"},
    },
    "app5": {
        "it": {"name": "5 € di sconto nell'app"},
        "pl": {"name": "5 € zniżki w aplikacji"},
    },
}
TAGS = ["vip", "stylist-client", "sustainability", "new-parent", "wholesale", "press"]
WEB_SEARCHES = ["linen shirt", "midi dress", "merino", "wide leg jeans", "rain parka", "duvet", "trench", "tote"]
NOTE_TEXTS = [
    "Prefers slim fit; ask about new linen.",
    "Buying a gift for her sister every December.",
    "Likes to be called, not texted.",
    "Returns often — check sizing before they leave.",
    "Wedding in June: looking for a suit and shoes.",
    "Always asks for the Nordic range.",
    "Allergic to wool — suggest cotton or linen.",
    "Comes in on Saturdays with the kids.",
]
# An associate in Milan or Warsaw writes notes, tasks and list names in the store's language (issue 19.6),
# as many notes per language as NOTE_TEXTS so every market draws the same from ctx.rng. The English texts
# stay for the UK stores (and for markets without texts of their own).
CLIENTELING_TEXTS = {
    "it": {
        "notes": [
            "Preferisce taglie slim, chiamare per i nuovi arrivi.",
            "Ogni dicembre compra un regalo per la sorella.",
            "Preferisce una telefonata a un messaggio.",
            "Restituisce spesso: verificare la taglia prima che esca.",
            "Si sposa a giugno: cerca un abito e le scarpe.",
            "Chiede sempre della linea nordica.",
            "Allergia alla lana: proporre cotone o lino.",
            "Viene il sabato con i bambini.",
        ],
        "tasks": {
            "call": "Chiamare per la nuova stagione",
            "appointment": "Appuntamento di consulenza stile",
            "message": "Inviare la nuova selezione in lino",
        },
        "wishlist": "Lista dei desideri",
        "anniversary": "Anniversario",
    },
    "pl": {
        "notes": [
            "Lubi kolor granatowy, dzwonić przed wyprzedażą.",
            "Co roku w grudniu kupuje prezent dla siostry.",
            "Woli telefon niż SMS.",
            "Często zwraca zakupy — sprawdzić rozmiar przed wyjściem ze sklepu.",
            "Ślub w czerwcu: szuka garnituru i butów.",
            "Zawsze pyta o kolekcję nordycką.",
            "Uczulenie na wełnę — proponować bawełnę lub len.",
            "Przychodzi w soboty z dziećmi.",
        ],
        "tasks": {
            "call": "Zadzwonić w sprawie nowego sezonu",
            "appointment": "Spotkanie ze stylistą",
            "message": "Wysłać nową kolekcję lnianą",
        },
        "wishlist": "Lista życzeń",
        "anniversary": "Rocznica",
    },
    "en": {
        "notes": NOTE_TEXTS,
        "tasks": {
            "call": "Call about the new season",
            "appointment": "Styling appointment",
            "message": "Send the new linen edit",
        },
        "wishlist": "Wishlist",
        "anniversary": "Anniversary",
    },
}


def _texts(language: str) -> dict:
    """The seeded clienteling texts in a market's language ("it", "pl", "en-gb" -> English)."""
    return CLIENTELING_TEXTS.get((language or "").split("-")[0], CLIENTELING_TEXTS["en"])


# Shoppers of the Italian and Polish stores have names of there (Polish surnames that do not change
# with gender), phones of there and read their messages in the market's language.
NAMES = {
    "it": (
        ["Giulia", "Francesca", "Chiara", "Sofia", "Martina", "Alessia", "Elena", "Sara", "Marco", "Luca", "Matteo",
         "Alessandro", "Lorenzo", "Davide", "Andrea", "Giorgio"],
        ["Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci", "Marino", "Greco", "Bruno",
         "Gallo", "Conti", "De Luca", "Costa", "Fontana"],
    ),
    "pl": (
        ["Anna", "Katarzyna", "Magdalena", "Agnieszka", "Zofia", "Maja", "Julia", "Aleksandra", "Piotr", "Krzysztof",
         "Tomasz", "Paweł", "Michał", "Jakub", "Kacper", "Szymon"],
        ["Nowak", "Wójcik", "Kowalczyk", "Woźniak", "Mazur", "Krawczyk", "Kaczmarek", "Zając", "Król", "Wieczorek",
         "Wróbel", "Pawlak", "Walczak", "Stępień", "Dudek", "Adamczyk"],
    ),
}  # fmt: skip
PHONES = {"uk": "+4477009{:05d}", "it": "+39347{:07d}", "pl": "+48512{:06d}"}


def _phone(n: int, market: str = "uk") -> str:
    return PHONES.get(market, PHONES["uk"]).format(n)


def _ascii(text: str) -> str:
    """An e-mail's local part from a name: Wiśniewska -> wisniewska, Paweł -> pawel."""
    folded = unicodedata.normalize("NFKD", text.replace("ł", "l").replace("Ł", "L"))
    return folded.encode("ascii", "ignore").decode().replace("'", "").replace(" ", "")


@seed_step(order=30, name="customers")
def seed_customers(ctx: SeedContext) -> None:
    rng, now = ctx.rng, timezone.now()
    if Customer.objects.filter(is_anonymous=False).exists():
        ctx.log("  customers already present; left as they are")
        return
    catalog_currency = home_currency()  # the demo catalog's prices (inventory.seed.local_price)
    stores = [s for s in (ctx.made.get("stores") or Store.objects.active()) if s.kind == Store.Kind.STORE]
    variants = [v for v in ctx.made.get("variants") or [] if v.is_active]
    if not variants:
        variants = list(ListItem._meta.get_field("variant").related_model.objects.select_related("product"))
    category_model = variants[0].product._meta.get_field("category").related_model if variants else None
    slugs = dict(category_model.objects.values_list("id", "slug")) if category_model else {}
    by_category = defaultdict(list)
    for v in variants:
        by_category[v.product.category_id].append(v)
    categories = [c for c in by_category if by_category[c]]
    associates = defaultdict(list)
    for m in StoreMembership.objects.filter(store__in=stores).select_related("user"):
        associates[m.store_id].append(m.user)

    tiers = []
    for code, name, min_spend, rate in TIERS:
        tier, _ = LoyaltyTier.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "translations": {lang: {"name": text} for lang, text in TIER_NAMES[code].items()},
                "min_spend": Decimal(min_spend),
                "points_per_unit": Decimal(rate),
            },
        )
        tiers.append(tier)
    tags = {name: Tag.objects.get_or_create(name=name)[0] for name in TAGS}

    # --- profiles -------------------------------------------------------------------------------
    total = ctx.count(2000, minimum=60)
    unusable = make_password(None)
    demo_user = User.objects.filter(email="shopper@omnistore.local").first() or User.objects.create_user(
        email="shopper@omnistore.local", password=None, full_name="Grace Hopper"
    )
    User.objects.filter(pk=demo_user.pk).update(password=demo_password_hash())
    record_verified_email(user=demo_user)  # the demo shopper signed up and typed the code long ago
    ctx.logins.append(("shopper (app/web API)", demo_user.email, "X-Session-Token via /_allauth/app/v1/auth/login"))
    users, customers, kinds, markets = [], [], [], []
    market_stores = defaultdict(list)  # a shopper shops in the stores of their market, in its currency
    for store in stores:
        market_stores[store.market_id].append(store)
    for n in range(total):
        mix = "multi" if n == 0 else rng.choices(["multi", "store", "app", "web"], weights=[60, 20, 10, 10])[0]
        home = stores[0] if n == 0 else rng.choice(stores)
        market = home.market
        first_names, last_names = NAMES.get(market.code, (FIRST, LAST))
        first, last = ("Grace", "Hopper") if n == 0 else (rng.choice(first_names), rng.choice(last_names))
        created = now - timedelta(days=rng.randint(30, 900))
        customer = Customer(
            first_name=first,
            last_name=last,
            email=f"{_ascii(first)}.{_ascii(last)}{n}@example.com".lower(),
            phone=_phone(n + 1, market.code),
            language=market.default_language,
            card_number=f"6000{n + 1:08d}" if mix != "web" or rng.random() < 0.3 else "",
            birthday=date(rng.randint(1955, 2004), rng.randint(1, 12), rng.randint(1, 28))
            if rng.random() < 0.7
            else None,
            home_store=home if mix != "web" else (home if rng.random() < 0.4 else None),
            assigned_associate=(
                rng.choice(associates[home.pk]) if associates[home.pk] and (n == 0 or rng.random() < 0.35) else None
            ),
            search_name=f"{first} {last}".lower(),
            created_at=created,
            updated_at=created,
        )
        if n == 0:
            customer.email, customer.user = demo_user.email, demo_user
            customer.important_dates = [{"label": _texts(customer.language)["anniversary"], "date": "2019-06-14"}]
        elif mix in {"multi", "app", "web"} and rng.random() < 0.6:
            users.append(
                User(email=customer.email, full_name=f"{first} {last}", password=unusable, date_joined=created)
            )
            customer.user = users[-1]
        customers.append(customer)
        kinds.append(mix)
        markets.append(market)
    User.objects.bulk_create(users, batch_size=1000)
    # Their logins verified their email when they signed up (sign-in needs it: SECURITY.md F16).
    EmailAddress.objects.bulk_create(
        [EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in users], batch_size=1000
    )
    for customer in customers:
        if customer.user is not None:
            customer.user_id = customer.user.pk
    Customer.objects.bulk_create(customers, batch_size=1000)

    # Duplicates a person made by giving another email at the till: same name, to be merged.
    dupes = []
    for n, original in enumerate(rng.sample(customers[1:], k=max(2, total // 100))):
        dupes.append(
            Customer(
                first_name=original.first_name,
                last_name=original.last_name,
                email=f"{original.first_name}{n}@mail.test".lower(),
                home_store=original.home_store,
                language=original.language,
                search_name=original.search_name,
                created_at=now - timedelta(days=40),
                updated_at=now - timedelta(days=40),
                channels=[Channel.STORE],
                last_seen_at=now - timedelta(days=rng.randint(1, 40)),
            )
        )
    Customer.objects.bulk_create(dupes)

    identities, consents = [], []
    for customer, mix in zip(customers, kinds, strict=True):
        identities.append(
            CustomerIdentity(customer=customer, kind="email", value=customer.email, created_at=customer.created_at)
        )
        identities.append(
            CustomerIdentity(customer=customer, kind="phone", value=customer.phone, created_at=customer.created_at)
        )
        if customer.card_number:
            identities.append(
                CustomerIdentity(
                    customer=customer, kind="card", value=customer.card_number, created_at=customer.created_at
                )
            )
        if mix in {"multi", "app"}:
            identities.append(
                CustomerIdentity(
                    customer=customer,
                    kind="app_install",
                    value=f"app-{customer.pk:06d}",
                    created_at=customer.created_at,
                )
            )
        if mix in {"multi", "web"}:
            identities.append(
                CustomerIdentity(
                    customer=customer, kind="web_cookie", value=f"ck-{customer.pk:06d}", created_at=customer.created_at
                )
            )
        for channel, share in (("email", 0.6), ("sms", 0.3), ("push", 0.45 if mix in {"multi", "app"} else 0)):
            if rng.random() < share or customer is customers[0]:
                consents.append(
                    Consent(
                        customer=customer,
                        channel=channel,
                        granted=True,
                        changed_at=customer.created_at,
                        source=rng.choice(["app", "web", f"store:{stores[0].code}"]),
                    )
                )
    for dupe in dupes:
        identities.append(CustomerIdentity(customer=dupe, kind="email", value=dupe.email, created_at=dupe.created_at))
    copy_models(identities)
    Consent.objects.bulk_create(consents, batch_size=2000)
    tag_links = []
    through = Customer.tags.through
    for customer in customers:
        if rng.random() < 0.15 or customer is customers[0]:
            for name in (
                rng.sample(TAGS, k=rng.randint(1, 2)) if customer is not customers[0] else ["vip", "stylist-client"]
            ):
                tag_links.append(through(customer_id=customer.pk, tag_id=tags[name].pk))
    through.objects.bulk_create(tag_links, ignore_conflicts=True)

    # --- timelines, purchases, loyalty ------------------------------------------------------------
    interactions, baskets, sizes_of = [], [], {}
    seq = 0

    def add(customer, channel, kind, when, store=None, subject="", data=None, associate=None):
        nonlocal seq
        seq += 1
        interactions.append(
            Interaction(
                customer=customer,
                channel=channel,
                kind=kind,
                occurred_at=when,
                store=store,
                subject=subject[:200],
                data=data or {},
                source="seed",
                external_id=f"seed-{seq}",
                recorded_at=now,
                associate=associate,
            )
        )
        return interactions[-1]

    for customer, mix, market in zip(customers, kinds, markets, strict=True):
        nearby = market_stores[market.pk]
        channels = {
            "multi": [Channel.APP, Channel.WEB, Channel.STORE],
            "store": [Channel.STORE],
            "app": [Channel.APP],
            "web": [Channel.WEB],
        }[mix]
        favourite = rng.sample(categories, k=min(len(categories), 2)) if categories else []
        size_pref = {}
        for cat in favourite:
            sized = [v.size for v in by_category[cat] if v.size]
            if sized:
                size_pref[slugs[cat]] = rng.choice(sorted(set(sized)))
        sizes_of[customer.pk] = size_pref
        events = rng.randint(4, 30) if customer is not customers[0] else 80
        for _ in range(events):
            channel = rng.choice(channels)
            when = now - timedelta(minutes=rng.randint(10, 540 * 24 * 60))
            variant = rng.choice(by_category[rng.choice(favourite)]) if favourite else None
            if channel == Channel.STORE:
                add(customer, Channel.STORE, "store_visit", when, store=customer.home_store or rng.choice(nearby))
            elif rng.random() < 0.25:
                term = rng.choice(WEB_SEARCHES)
                add(customer, channel, "search", when, subject=term, data={"query": term})
            elif variant is not None:
                kind = rng.choices(["product_view", "add_to_cart", "wishlist_add", "app_open"], weights=[70, 15, 8, 7])[
                    0
                ]
                if kind == "app_open" and channel != Channel.APP:
                    kind = "product_view"
                add(customer, channel, kind, when, subject="" if kind == "app_open" else variant.sku)
        for p in range(rng.randint(0, 6) if customer is not customers[0] else 8):
            channel = rng.choice(
                channels
                + ([Channel.PHONE] if rng.random() < 0.05 else [])
                + ([Channel.KIOSK] if rng.random() < 0.05 else [])
            )
            when = now - timedelta(days=rng.randint(1, 500), minutes=rng.randint(0, 600))
            cats = rng.sample(favourite, k=min(len(favourite), rng.randint(1, 2))) if favourite else []
            lines = []
            for cat in cats:
                for v in rng.sample(by_category[cat], k=min(len(by_category[cat]), rng.randint(1, 2))):
                    price = local_price(v, market.currency, home=catalog_currency)
                    lines.append({"sku": v.sku, "qty": 1, "amount": str(price), "category": slugs[cat], "size": v.size})
            if not lines:
                continue
            store = (customer.home_store or rng.choice(nearby)) if channel in {Channel.STORE, Channel.KIOSK} else None
            number = f"{channel[0].upper()}-{customer.pk:05d}-{p}"
            total_amount = sum(Decimal(line["amount"]) for line in lines)
            row = add(
                customer,
                channel,
                "purchase",
                when,
                store=store,
                subject=number,
                data={"order_number": number, "total": str(total_amount), "currency": market.currency, "lines": lines},
                associate=customer.assigned_associate if channel == Channel.STORE else None,
            )
            baskets.append((row, lines))
    copy_models(interactions)
    InteractionKey.objects.bulk_create(
        InteractionKey(source=i.source, external_id=i.external_id, interaction_id=i.pk, occurred_at=i.occurred_at)
        for i in interactions
    )
    items = [
        PurchasedItem(
            customer=row.customer,
            interaction=row,
            sku=line["sku"],
            category=line["category"],
            size=line["size"],
            quantity=line["qty"],
            amount=Decimal(line["amount"]),
            channel=row.channel,
            occurred_at=row.occurred_at,
        )
        for row, lines in baskets
        for line in lines
    ]
    copy_models(items)
    seen = defaultdict(lambda: [set(), None])
    for row in interactions:
        info = seen[row.customer.pk]
        info[0].add(row.channel)
        info[1] = max(info[1], row.occurred_at) if info[1] else row.occurred_at
    for customer in customers:
        customer.channels = sorted(seen[customer.pk][0])
        customer.last_seen_at = seen[customer.pk][1]
        customer.preferred_sizes = (
            sizes_of.get(customer.pk, {}) if rng.random() < 0.7 or customer is customers[0] else {}
        )
    update_rows(customers, ["channels", "last_seen_at", "preferred_sizes"])

    year_ago = now - timedelta(days=365)
    home = home_currency()
    spend, earned = defaultdict(lambda: defaultdict(Decimal)), defaultdict(list)
    for row, lines in baskets:
        total_amount = sum(Decimal(line["amount"]) for line in lines)
        if row.occurred_at >= year_ago:  # each currency apart, converted as the tier's rule says
            spend[row.customer.pk][(row.data.get("currency") or home).upper()] += total_amount
        earned[row.customer.pk].append((row, total_amount))
    held = {code for mine in spend.values() for code in mine} - {home}
    rates = rates_on(currencies=held, day=timezone.localdate(), reporting=home) if held else {}
    accounts, entries = [], []
    for customer in customers:
        s, detail = converted_spend(dict(spend[customer.pk]), home=home, rates=rates)
        tier = next((t for t in reversed(tiers) if t.min_spend <= s), None)
        rate = tier.points_per_unit if tier else Decimal("1")
        balance, ledger = 0, []
        for row, amount in earned[customer.pk]:
            pts = int((amount * rate).to_integral_value(rounding=ROUND_DOWN))
            if pts > 0:
                ledger.append(("earn", pts, row.data["order_number"], row.occurred_at))
                balance += pts
        if balance > 500 and rng.random() < 0.4:
            ledger.append(("redeem", -500, f"R-{customer.pk:05d}", now - timedelta(days=rng.randint(1, 60))))
            balance -= 500
        if not ledger and rng.random() > 0.3:
            continue
        last = max((e[3] for e in ledger), default=customer.created_at)
        account = LoyaltyAccount(
            customer=customer,
            balance=balance,
            tier=tier,
            spend_12m=s,
            spend_detail=detail,
            last_activity_at=last,
            created_at=customer.created_at,
        )
        accounts.append(account)
        entries.extend((account, e) for e in ledger)
    LoyaltyAccount.objects.bulk_create(accounts, batch_size=1000)
    PointsEntry.objects.bulk_create(
        [PointsEntry(account=a, kind=k, points=p, reference=r, created_at=t) for a, (k, p, r, t) in entries],
        batch_size=2000,
    )
    credits, credit_entries = [], []
    for customer in [*rng.sample(customers, k=max(1, total // 20)), customers[0]]:
        if any(c.customer_id == customer.pk for c in credits):
            continue
        amount = Decimal(rng.choice(["10.00", "15.50", "25.00", "39.99"]))
        account = StoreCreditAccount(customer=customer, balance=amount, created_at=now - timedelta(days=20))
        credits.append(account)
        credit_entries.append(
            StoreCreditEntry(
                account=account,
                kind="issue",
                amount=amount,
                reference=f"RET-{customer.pk:05d}",
                store=customer.home_store,
                created_at=account.created_at,
            )
        )
    StoreCreditAccount.objects.bulk_create(credits)
    StoreCreditEntry.objects.bulk_create(credit_entries)

    # --- clienteling: notes, tasks, lists ------------------------------------------------------------
    notes, tasks_ = [], []
    today = timezone.localdate()
    consented = {(c.customer.pk, c.channel) for c in consents}
    for customer in customers:
        staff = associates.get(customer.home_store_id) if customer.home_store_id else None
        if not staff:
            continue
        if rng.random() < 0.15 or customer is customers[0]:
            for text in rng.sample(_texts(customer.language)["notes"], k=2 if customer is customers[0] else 1):
                notes.append(
                    Note(
                        customer=customer,
                        author=rng.choice(staff),
                        store=customer.home_store,
                        body=text,
                        pinned=rng.random() < 0.3,
                        created_at=now - timedelta(days=rng.randint(1, 200)),
                    )
                )
        if rng.random() < 0.08 or customer is customers[0]:
            kind = rng.choice(["call", "appointment", "message"])
            channel = "email" if kind == "message" else ""
            if kind == "message" and (customer.pk, "email") not in consented:
                kind, channel = "call", ""
            tasks_.append(
                Task(
                    customer=customer,
                    store=customer.home_store,
                    kind=kind,
                    channel=channel,
                    title=_texts(customer.language)["tasks"][kind],
                    due_on=today + timedelta(days=rng.randint(-2, 10)),
                    assignee=customer.assigned_associate or rng.choice(staff),
                    created_by=rng.choice(staff),
                    created_at=now - timedelta(days=rng.randint(0, 5)),
                )
            )
    Note.objects.bulk_create(notes, batch_size=1000)
    Task.objects.bulk_create(tasks_, batch_size=1000)

    lists, list_items = [], []
    for customer in customers:
        if variants and (rng.random() < 0.25 or customer is customers[0]):
            lst = CustomerList(
                customer=customer,
                kind="wishlist",
                name=_texts(customer.language)["wishlist"],
                created_at=now,
                updated_at=now,
            )
            lists.append(lst)
            for v in rng.sample(variants, k=rng.randint(1, 4) if customer is not customers[0] else 4):
                list_items.append(
                    ListItem(
                        customer_list=lst,
                        variant=v,
                        quantity=1,
                        channel=rng.choice([Channel.APP, Channel.WEB, Channel.STORE]),
                        added_at=now - timedelta(days=rng.randint(0, 90)),
                    )
                )
    CustomerList.objects.bulk_create(lists, batch_size=1000)
    ListItem.objects.bulk_create(list_items, batch_size=2000, ignore_conflicts=True)

    # --- offers ---------------------------------------------------------------------------------------
    offer_specs = [
        (
            "welcome10",
            "Welcome: 10% off your first order",
            {
                "discount_percent": Decimal("10"),
                "first_purchase_only": True,
                "channels": [Channel.APP, Channel.WEB, Channel.STORE],
            },
        ),
        (
            "gold20",
            "Gold weekend: 20% off",
            {
                "discount_percent": Decimal("20"),
                "tier": tiers[2],
                "channels": [Channel.APP, Channel.WEB, Channel.STORE],
                "requires_email_consent": False,
            },
        ),
        (
            "app5",
            "€5 off in the app",
            {
                "discount_amount": Decimal("5.00"),
                "currency": home_currency(),
                "segment": Offer.Segment.MULTICHANNEL,
                "channels": [Channel.APP],
            },
        ),
    ]
    for code, name, extra in offer_specs:
        offer, _ = Offer.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "translations": OFFER_TEXTS[code],
                "valid_from": now - timedelta(days=7),
                "valid_until": now + timedelta(days=60),
                **extra,
            },
        )
        assign_offer_to_segment(offer=offer)
    if not customers[0].offer_assignments.exists():
        OfferAssignment.objects.get_or_create(
            offer=Offer.objects.get(code="app5"), customer=customers[0], defaults={"assigned_at": now}
        )
    ctx.made["customers"] = customers
    ctx.logins.append(
        ("demo shopper in the portal", "Grace Hopper", f"phone {customers[0].phone}, home {stores[0].code}")
    )
    ctx.log(
        f"  {len(customers)} customers ({len(dupes)} duplicates to merge), {len(interactions)} interactions, "
        f"{len(items)} purchase lines, {len(notes)} notes, {len(tasks_)} tasks, {len(list_items)} list items"
    )
