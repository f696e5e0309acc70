"""Demo catalog and stock: apparel and home, spread over the stores and the warehouse.

Opening stock is written as ledger rows (a receipt, then some sales) with COPY for speed;
each level is exactly the sum of its movements, so `verify_stock_ledger` passes after seeding.
"""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from inventory import services
from inventory.market_prices import list_for_market
from inventory.models import (
    Category,
    CategoryTranslation,
    Product,
    ProductTranslation,
    StockLevel,
    StockMovement,
    Variant,
    VariantPrice,
)
from retail.bulk import copy_models
from retail.markets import home_currency
from retail.models import Market, Store, TaxClass
from retail.seeding import SeedContext, seed_step

TREE = {
    "Women": ["Tops", "Dresses", "Knitwear", "Denim", "Outerwear"],
    "Men": ["Shirts", "T-shirts", "Knitwear", "Trousers", "Outerwear"],
    "Home": ["Bedding", "Bath", "Kitchen", "Decor"],
}
NOUNS = {
    "Tops": ["Linen blouse", "Ribbed tank", "Poplin shirt", "Boxy tee", "Wrap top"],
    "Dresses": ["Midi dress", "Shirt dress", "Slip dress", "Jersey dress"],
    "Knitwear": ["Merino jumper", "Cable cardigan", "Cashmere crew", "Lambswool vest"],
    "Denim": ["Straight jeans", "Wide-leg jeans", "Denim jacket", "Denim skirt"],
    "Outerwear": ["Trench coat", "Quilted jacket", "Wool overcoat", "Rain parka"],
    "Shirts": ["Oxford shirt", "Flannel shirt", "Linen shirt", "Denim shirt"],
    "T-shirts": ["Heavyweight tee", "Pocket tee", "Long-sleeve tee", "Henley"],
    "Trousers": ["Chinos", "Pleated trousers", "Cargo trousers", "Drawstring trousers"],
    "Bedding": ["Percale duvet set", "Linen sheet", "Waffle blanket", "Pillowcase pair"],
    "Bath": ["Cotton towel", "Bath mat", "Waffle robe", "Hand towel set"],
    "Kitchen": ["Stoneware mug", "Linen tea towel", "Oak board", "Enamel pan"],
    "Decor": ["Wool cushion", "Glass vase", "Soy candle", "Jute rug"],
}
# Italian and Polish texts of the demo catalog (issue 19.1): category names, and each noun (a
# product's name is "<collection> <noun>": the collection stays as it is, as labels keep them).
CATEGORY_TEXTS = {
    "Women": ("Donna", "Damskie"),
    "Men": ("Uomo", "Męskie"),
    "Home": ("Casa", "Dom"),
    "Tops": ("Top e bluse", "Bluzki i topy"),
    "Dresses": ("Abiti", "Sukienki"),
    "Knitwear": ("Maglieria", "Dzianina"),
    "Denim": ("Denim", "Denim"),
    "Outerwear": ("Capispalla", "Okrycia wierzchnie"),
    "Shirts": ("Camicie", "Koszule"),
    "T-shirts": ("T-shirt", "T-shirty"),
    "Trousers": ("Pantaloni", "Spodnie"),
    "Bedding": ("Biancheria da letto", "Pościel"),
    "Bath": ("Bagno", "Łazienka"),
    "Kitchen": ("Cucina", "Kuchnia"),
    "Decor": ("Decorazioni", "Dekoracje"),
}
NOUN_TEXTS = {
    "Linen blouse": ("Blusa di lino", "Bluzka lniana"),
    "Ribbed tank": ("Canotta a coste", "Prążkowana koszulka na ramiączkach"),
    "Poplin shirt": ("Camicia in popeline", "Koszula z popeliny"),
    "Boxy tee": ("T-shirt squadrata", "Koszulka oversize"),
    "Wrap top": ("Top a portafoglio", "Bluzka kopertowa"),
    "Midi dress": ("Abito midi", "Sukienka midi"),
    "Shirt dress": ("Abito chemisier", "Sukienka koszulowa"),
    "Slip dress": ("Abito sottoveste", "Sukienka na ramiączkach"),
    "Jersey dress": ("Abito in jersey", "Sukienka z dżerseju"),
    "Merino jumper": ("Maglione in merino", "Sweter z merynosa"),
    "Cable cardigan": ("Cardigan a trecce", "Kardigan w warkocze"),
    "Cashmere crew": ("Girocollo in cashmere", "Sweter z kaszmiru"),
    "Lambswool vest": ("Gilet in lana d'agnello", "Kamizelka z wełny jagnięcej"),
    "Straight jeans": ("Jeans dritti", "Jeansy proste"),
    "Wide-leg jeans": ("Jeans a gamba larga", "Jeansy z szerokimi nogawkami"),
    "Denim jacket": ("Giacca di jeans", "Kurtka jeansowa"),
    "Denim skirt": ("Gonna di jeans", "Spódnica jeansowa"),
    "Trench coat": ("Trench", "Trencz"),
    "Quilted jacket": ("Giacca trapuntata", "Kurtka pikowana"),
    "Wool overcoat": ("Cappotto di lana", "Wełniany płaszcz"),
    "Rain parka": ("Parka impermeabile", "Parka przeciwdeszczowa"),
    "Oxford shirt": ("Camicia Oxford", "Koszula oxford"),
    "Flannel shirt": ("Camicia di flanella", "Koszula flanelowa"),
    "Linen shirt": ("Camicia di lino", "Koszula lniana"),
    "Denim shirt": ("Camicia di jeans", "Koszula jeansowa"),
    "Heavyweight tee": ("T-shirt pesante", "Gruba koszulka"),
    "Pocket tee": ("T-shirt con taschino", "Koszulka z kieszonką"),
    "Long-sleeve tee": ("T-shirt a maniche lunghe", "Koszulka z długim rękawem"),
    "Henley": ("Serafino", "Henley"),
    "Chinos": ("Chino", "Chinosy"),
    "Pleated trousers": ("Pantaloni con pinces", "Spodnie z zakładkami"),
    "Cargo trousers": ("Pantaloni cargo", "Spodnie bojówki"),
    "Drawstring trousers": ("Pantaloni con coulisse", "Spodnie ze ściągaczem"),
    "Percale duvet set": ("Parure copripiumino in percalle", "Komplet pościeli z perkalu"),
    "Linen sheet": ("Lenzuolo di lino", "Prześcieradło lniane"),
    "Waffle blanket": ("Coperta a nido d'ape", "Koc waflowy"),
    "Pillowcase pair": ("Coppia di federe", "Dwie poszewki"),
    "Cotton towel": ("Asciugamano di cotone", "Ręcznik bawełniany"),
    "Bath mat": ("Tappetino da bagno", "Dywanik łazienkowy"),
    "Waffle robe": ("Accappatoio a nido d'ape", "Szlafrok waflowy"),
    "Hand towel set": ("Set di asciugamani", "Zestaw ręczników"),
    "Stoneware mug": ("Tazza in gres", "Kubek kamionkowy"),
    "Linen tea towel": ("Strofinaccio di lino", "Lniana ściereczka"),
    "Oak board": ("Tagliere di rovere", "Deska dębowa"),
    "Enamel pan": ("Pentola smaltata", "Garnek emaliowany"),
    "Wool cushion": ("Cuscino di lana", "Poduszka wełniana"),
    "Glass vase": ("Vaso di vetro", "Szklany wazon"),
    "Soy candle": ("Candela di soia", "Świeca sojowa"),
    "Jute rug": ("Tappeto di iuta", "Dywan jutowy"),
}
DESCRIPTIONS = {
    "it": "Un classico della nostra collezione {top}: {child}.",
    "pl": "Klasyka z naszej kolekcji {top}: {child}.",
}
REDUCED_RATE = {"Bedding", "Kitchen"}  # sold at the markets' reduced rate in the demo (tax class "reduced")


ADJECTIVES = ["Everyday", "Organic", "Relaxed", "Classic", "Studio", "Coastal", "Heritage", "Soft", "Field", "Nordic"]
BRANDS = ["Omni", "Northline", "Atelier Nine", "Fieldhouse", "Kin & Co", "Harbour"]
COLOURS = ["Navy", "Black", "Ecru", "Olive", "Rust", "Grey", "Sky", "Sand", "Forest", "Berry"]
COLOUR_TEXTS = {  # (Italian, Polish)
    "Navy": ("Blu navy", "Granatowy"),
    "Black": ("Nero", "Czarny"),
    "Ecru": ("Écru", "Ecru"),
    "Olive": ("Verde oliva", "Oliwkowy"),
    "Rust": ("Ruggine", "Rdzawy"),
    "Grey": ("Grigio", "Szary"),
    "Sky": ("Celeste", "Błękitny"),
    "Sand": ("Sabbia", "Piaskowy"),
    "Forest": ("Verde bosco", "Butelkowa zieleń"),
    "Berry": ("Frutti di bosco", "Jagodowy"),
}
SIZES = {"Women": ["XS", "S", "M", "L", "XL"], "Men": ["S", "M", "L", "XL", "XXL"]}
BED_SIZES = ["Single", "Double", "King"]
BED_SIZE_TEXTS = {  # (Italian, Polish): the sizes written as words; the clothes' are codes (M, XL)
    "Single": ("Singolo", "Jednoosobowy"),
    "Double": ("Matrimoniale", "Dwuosobowy"),
    "King": ("King size", "King size"),
}
PRICES = {"Women": (19, 140), "Men": (19, 160), "Home": (6, 90)}


def ean13(body12: str) -> str:
    digits = [int(c) for c in body12]
    check = (10 - sum(d * (3 if i % 2 else 1) for i, d in enumerate(digits)) % 10) % 10
    return body12 + str(check)


def _picture(top: str, n: int) -> str:
    """The product's picture: the demo serves one illustration per department from its own static
    files (settings.CATALOG_IMAGE_ORIGINS names the demo's address); elsewhere a CDN-style address."""
    if settings.CATALOG_IMAGE_ORIGINS:
        return f"{settings.CATALOG_IMAGE_ORIGINS[0]}{settings.STATIC_URL}img/catalog/{top.lower()}.svg"
    return f"https://img.omnistore.example/{top.lower()}/{n + 1:04d}.jpg"


@seed_step(order=20, name="catalog-and-stock")
def seed_catalog_and_stock(ctx: SeedContext) -> None:
    rng = ctx.rng
    stores: list[Store] = ctx.made.get("stores") or list(Store.objects.active())
    if Product.objects.exists():
        ctx.made["variants"] = list(Variant.objects.select_related("product").order_by("pk"))
        ctx.log("  catalog already present; left as it is")
        return

    categories = {}
    for top, children in TREE.items():
        parent = Category.objects.create(name=top, slug=top.lower(), return_window_days=30 if top != "Home" else 60)
        for child in children:
            slug = f"{top.lower()}-{child.lower().replace(' ', '-')}"
            categories[(top, child)] = Category.objects.create(name=child, slug=slug, parent=parent)

    keys = list(categories)
    n_products = ctx.count(320, minimum=30)
    products, variant_specs, named = [], [], []
    reduced_rate = TaxClass.objects.filter(code="reduced").exists()
    for n in range(n_products):
        top, child = keys[n % len(keys)] if n < len(keys) else rng.choice(keys)
        low, high = PRICES[top]
        adjective, noun = rng.choice(ADJECTIVES), rng.choice(NOUNS[child])
        product = Product(
            style_code=f"{top[0]}{child[:2].upper()}-{n + 1:04d}",
            name=f"{adjective} {noun.lower()}",
            brand=rng.choice(BRANDS),
            category=categories[(top, child)],
            description=f"A {child.lower()} staple from our {top.lower()} range.",
            base_price=Decimal(rng.randrange(low, high)) + Decimal("0.99"),
            attributes={"material": rng.choice(["cotton", "linen", "wool", "recycled polyester", "stoneware"])},
            image_url=_picture(top, n),
            final_sale=rng.random() < 0.04,
            return_window_days=14 if rng.random() < 0.03 else None,
            tax_class_id="reduced" if child in REDUCED_RATE and reduced_rate else "standard",
        )
        products.append(product)
        named.append((top, child, adjective, noun))
        colours = rng.sample(COLOURS, rng.randint(1, 2) if top != "Home" else rng.randint(2, 3))
        sizes = SIZES.get(top) or (BED_SIZES if child == "Bedding" else [""])
        variant_specs.append([(c, s) for c in colours for s in sizes])
    Product.objects.bulk_create(products, batch_size=500)
    products = list(Product.objects.order_by("pk"))
    texts = _seed_translations(categories, products, named, variant_specs)

    variants = []
    serial = 0
    for product, specs in zip(products, variant_specs, strict=True):
        for colour, size in specs:
            serial += 1
            variants.append(
                Variant(
                    product=product,
                    sku=f"{product.style_code}-{colour[:3].upper()}{'-' + size.upper() if size else ''}",
                    barcode=ean13(f"50{serial:010d}"),
                    size=size,
                    colour=colour,
                    price_override=(product.base_price - Decimal("5.00"))
                    if size in ("XS", "XXL") and product.base_price > 20
                    else None,
                    is_active=rng.random() > 0.01,
                )
            )
    Variant.objects.bulk_create(variants, batch_size=1000)
    variants = list(Variant.objects.select_related("product").order_by("pk"))
    listed = _seed_market_prices(variants)

    now = timezone.now()
    levels, movements = [], []
    out_of_stock = low_stock = 0
    for variant in variants:
        for store in stores:
            warehouse = store.kind == Store.Kind.WAREHOUSE
            if not warehouse and rng.random() < 0.25:
                continue  # this store never ranged this SKU
            roll = rng.random()
            if warehouse:
                received = rng.randint(30, 120)
            elif roll < 0.05:
                received = 0  # ranged here but sold out long ago
            elif roll < 0.12:
                received = rng.randint(1, 3)  # the last few
            else:
                received = rng.randint(6, 30)
            sold = rng.randint(0, received // 4)
            on_hand = received - sold
            counted = now - timedelta(days=rng.randint(0, 90)) if rng.random() < 0.6 else None
            levels.append(
                StockLevel(
                    variant=variant,
                    location=store,
                    on_hand=on_hand,
                    safety_stock=1 if not warehouse and rng.random() < 0.2 else 0,
                    last_counted_at=counted,
                )
            )
            out_of_stock += on_hand == 0
            low_stock += 0 < on_hand <= 3
            opened = now - timedelta(days=rng.randint(20, 120))
            if received:
                movements.append(
                    StockMovement(
                        variant=variant,
                        location=store,
                        kind=StockMovement.Kind.RECEIPT,
                        quantity=received,
                        balance_after=received,
                        reference="seed:opening-stock",
                        created_at=opened,
                    )
                )
            if sold:
                movements.append(
                    StockMovement(
                        variant=variant,
                        location=store,
                        kind=StockMovement.Kind.SALE,
                        quantity=-sold,
                        balance_after=on_hand,
                        reference="seed:pos-history",
                        created_at=opened + timedelta(days=rng.randint(1, 19)),
                    )
                )
    copy_models(levels)
    copy_models(movements)

    _seed_work_in_progress(ctx, stores, variants)
    ctx.made["products"] = products
    ctx.made["variants"] = variants
    ctx.log(
        f"  {len(products)} products ({texts} texts in Italian and Polish), {len(variants)} variants, "
        f"{listed} prices in złoty and pounds, {len(levels)} stock levels "
        f"({out_of_stock} out of stock, {low_stock} low), {len(movements)} ledger rows"
    )


def _seed_translations(categories: dict, products: list[Product], named: list[tuple], specs: list[list]) -> int:
    """The categories' and products' Italian and Polish texts, with their variants' colours and bed sizes
    (the catalog's own are English)."""
    languages = ("it", "pl")
    rows = []
    tops = {}
    for (top, child), category in categories.items():
        tops[top] = category.parent
        rows += [CategoryTranslation(category=category, language=lang, name=CATEGORY_TEXTS[child][i])
                 for i, lang in enumerate(languages)]  # fmt: skip
    for top, parent in tops.items():
        rows += [CategoryTranslation(category=parent, language=lang, name=CATEGORY_TEXTS[top][i])
                 for i, lang in enumerate(languages)]  # fmt: skip
    CategoryTranslation.objects.bulk_create(rows)
    texts = []
    for product, (top, child, adjective, noun), variants in zip(products, named, specs, strict=True):
        colours = sorted({colour for colour, _size in variants})
        sizes = sorted({size for _colour, size in variants if size in BED_SIZE_TEXTS})
        for i, lang in enumerate(languages):
            description = DESCRIPTIONS[lang].format(top=CATEGORY_TEXTS[top][i], child=CATEGORY_TEXTS[child][i].lower())
            texts.append(ProductTranslation(product=product, language=lang, name=f"{NOUN_TEXTS[noun][i]} {adjective}",
                                            description=description,
                                            colours={c: COLOUR_TEXTS[c][i] for c in colours},
                                            sizes={s: BED_SIZE_TEXTS[s][i] for s in sizes}))  # fmt: skip
    ProductTranslation.objects.bulk_create(texts, batch_size=1000)
    return len(rows) + len(texts)


# The demo's Polish and British list prices: the catalog's euro price at a round rate, ending in .99.
DEMO_RATES = {"PLN": Decimal("4.30"), "GBP": Decimal("0.86")}


def local_price(variant: Variant, currency: str, *, home: str) -> Decimal:
    """What `variant` costs on the demo's list in `currency` (the catalog's own price in its currency,
    `home`: the home market's, retail.markets.home_currency, read once by the caller)."""
    rate = DEMO_RATES.get(currency)
    if rate is None or currency == home:
        return variant.price
    return max(Decimal("0.99"), (variant.price * rate).to_integral_value() - Decimal("0.01"))


def _seed_market_prices(variants: list[Variant]) -> int:
    """A price list per market not in the catalog's currency (Poland's złoty, the UK's pounds), every
    variant on it since two years ago (so the seeded history was sold at these prices)."""
    since = timezone.now() - timedelta(days=800)
    rows = []
    home = home_currency()
    for market in Market.objects.exclude(currency=home).order_by("code"):
        if market.currency not in DEMO_RATES:
            continue
        price_list = list_for_market(market=market)
        rows += [VariantPrice(price_list=price_list, variant=v, price=local_price(v, market.currency, home=home),
                              valid_from=since) for v in variants]  # fmt: skip
    VariantPrice.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def _seed_work_in_progress(ctx: SeedContext, stores: list[Store], variants: list[Variant]) -> None:
    """A transfer on its way to the first store, so the receive screen has something to show."""
    warehouse = next((s for s in stores if s.kind == Store.Kind.WAREHOUSE), None)
    first = next((s for s in stores if s.kind == Store.Kind.STORE), None)
    if warehouse is None or first is None:
        return
    stocked = set(
        StockLevel.objects.filter(location=warehouse, on_hand__gte=5, variant__is_active=True).values_list(
            "variant_id", flat=True
        )
    )
    picks = [v for v in variants if v.pk in stocked and v.is_active][:200]
    lines = [(v, ctx.rng.randint(1, 3)) for v in ctx.rng.sample(picks, min(3, len(picks)))]
    if lines:
        transfer = services.request_transfer(
            from_location=warehouse, to_location=first, lines=lines, note="replenishment"
        )
        services.ship_transfer(transfer=transfer)
