"""The chain: stores spread over British and European cities, warehouses, one associate per store."""

from decimal import Decimal

from benchmarks.bulk import analyze
from benchmarks.context import DatasetContext
from benchmarks.registry import dataset
from retail.models import Store, StoreMembership, User

CITIES = [
    # code, city, country, latitude, longitude
    ("LON", "London", "GB", 51.5072, -0.1276),
    ("MAN", "Manchester", "GB", 53.4808, -2.2426),
    ("BHM", "Birmingham", "GB", 52.4862, -1.8904),
    ("EDI", "Edinburgh", "GB", 55.9533, -3.1883),
    ("GLA", "Glasgow", "GB", 55.8642, -4.2518),
    ("BRS", "Bristol", "GB", 51.4545, -2.5879),
    ("LDS", "Leeds", "GB", 53.8008, -1.5491),
    ("LIV", "Liverpool", "GB", 53.4084, -2.9916),
    ("NCL", "Newcastle", "GB", 54.9783, -1.6178),
    ("CDF", "Cardiff", "GB", 51.4816, -3.1791),
    ("BFS", "Belfast", "GB", 54.5973, -5.9301),
    ("NOT", "Nottingham", "GB", 52.9548, -1.1581),
    ("DUB", "Dublin", "IE", 53.3498, -6.2603),
    ("PAR", "Paris", "FR", 48.8566, 2.3522),
    ("LYS", "Lyon", "FR", 45.7640, 4.8357),
    ("AMS", "Amsterdam", "NL", 52.3676, 4.9041),
    ("BRU", "Brussels", "BE", 50.8503, 4.3517),
    ("BER", "Berlin", "DE", 52.5200, 13.4050),
    ("MUC", "Munich", "DE", 48.1351, 11.5820),
    ("MAD", "Madrid", "ES", 40.4168, -3.7038),
    ("BCN", "Barcelona", "ES", 41.3874, 2.1686),
    ("MIL", "Milan", "IT", 45.4642, 9.1900),
    ("CPH", "Copenhagen", "DK", 55.6761, 12.5683),
    ("VIE", "Vienna", "AT", 48.2082, 16.3738),
]
HOURS = {d: ["09:00", "19:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat")} | {"sun": ["11:00", "17:00"]}


def _coordinate(value: float, jitter: float) -> Decimal:
    return Decimal(f"{value + jitter:.6f}")


@dataset(order=10)
def build(ctx: DatasetContext) -> None:
    """Stores (`stores`), warehouses (`warehouses`) and one associate per store."""
    rng = ctx.rng
    stores, per_city = [], {}
    for i in range(ctx.count("stores")):
        code, city, country, lat, lng = CITIES[i % len(CITIES)]
        per_city[code] = per_city.get(code, 0) + 1
        stores.append(
            Store(
                code=f"{code}-{per_city[code]:03d}",
                name=f"Omnistore {city} {per_city[code]}",
                kind=Store.Kind.STORE,
                address_line=f"{rng.randint(1, 250)} High Street",
                city=city,
                country=country,
                latitude=_coordinate(lat, rng.uniform(-0.08, 0.08)),
                longitude=_coordinate(lng, rng.uniform(-0.12, 0.12)),
                opening_hours=HOURS,
                pickup_enabled=rng.random() < 0.9,
                accepts_returns=rng.random() < 0.95,
                ships_orders=rng.random() < 0.3,
            )
        )
    for i in range(ctx.count("warehouses")):
        code, city, country, lat, lng = CITIES[(i * 5) % len(CITIES)]
        stores.append(
            Store(
                code=f"WH-{code}-{i + 1:02d}",
                name=f"Omnistore {city} distribution centre",
                kind=Store.Kind.WAREHOUSE,
                city=city,
                country=country,
                latitude=_coordinate(lat, rng.uniform(-0.3, 0.3)),
                longitude=_coordinate(lng, rng.uniform(-0.3, 0.3)),
                pickup_enabled=False,
                accepts_returns=True,
                ships_orders=True,
            )
        )
    Store.objects.bulk_create(stores, batch_size=1000)
    selling = list(Store.objects.filter(kind=Store.Kind.STORE).order_by("code"))
    associates = [
        User(email=f"bench.associate.{s.code.lower()}@bench.omnistore.test", full_name=f"Associate {s.code}")
        for s in selling
    ]
    for user in associates:
        user.set_unusable_password()  # scenarios sign in with force_login
    User.objects.bulk_create(associates, batch_size=1000)
    users = {u.email: u for u in User.objects.filter(email__endswith="@bench.omnistore.test")}
    StoreMembership.objects.bulk_create(
        [
            StoreMembership(
                user=users[f"bench.associate.{s.code.lower()}@bench.omnistore.test"],
                store=s,
                role=StoreMembership.Role.ASSOCIATE,
            )
            for s in selling
        ],
        batch_size=1000,
    )
    analyze(Store, User, StoreMembership)
    ctx.log(f"  {len(selling)} stores, {len(stores) - len(selling)} warehouses, {len(associates)} associates")
