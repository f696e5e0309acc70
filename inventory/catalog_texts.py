"""Catalog texts in the reader's language (issue 19.1): product names and descriptions and category
names have translations (ProductTranslation, CategoryTranslation), read in an order of languages:
the reader's (the portal's language, the API caller's Accept-Language), then the market's default,
then the catalog's own text. Lists read them with one prefetch per kind of text whatever their
length; `display_name` / `display_description` on the objects pick the best (models/catalog.py).

Order lines keep the name they were sold under (OrderLine.name): these texts never rewrite history.
"""

from django.conf import settings
from django.db.models import Case, IntegerField, Prefetch, QuerySet, Value, When
from django.utils import translation

from inventory.models import CategoryTranslation, ProductTranslation
from retail.domain.texts import supported

TEXT_ATTR = "texts"  # what CatalogText.display_name reads


def reading_order(*languages: str | None) -> tuple[str, ...]:
    """The languages to look a text up in, best first, each once; the active language when none is given.
    The catalog's own text comes after them, and is written in the deployment's language: the order
    stops at that language (an English reader in an Italian store reads the catalog's English, not
    the market's Italian)."""
    wanted = languages or (translation.get_language(),)
    codes = list(dict.fromkeys(code for code in (supported(code) for code in wanted) if code))
    own = supported(settings.LANGUAGE_CODE)
    if own in codes:
        codes = codes[: codes.index(own) + 1]
    return tuple(codes)


def reads_own_text(language: str | None = None) -> bool:
    """Whether a reader of `language` (the active one) reads the catalog's own text first: no fallback to look up."""
    return supported(language or translation.get_language()) == supported(settings.LANGUAGE_CODE)


def _ranked(queryset: QuerySet, languages: tuple[str, ...]) -> QuerySet:
    rank = Case(*(When(language=code, then=Value(i)) for i, code in enumerate(languages)), output_field=IntegerField())
    return queryset.filter(language__in=languages).order_by(rank)


def product_texts(languages: tuple[str, ...], *, path: str = "") -> list[Prefetch]:
    """A prefetch of the products' (at `path`, e.g. "variant__product__") texts in `languages`: one query
    for any number of rows, none when the only language is the catalog's own."""
    if not _needs_texts(languages):
        return []
    queryset = _ranked(ProductTranslation.objects.all(), languages)
    return [Prefetch(f"{path}translations", queryset=queryset, to_attr=TEXT_ATTR)]


def category_texts(languages: tuple[str, ...], *, path: str = "") -> list[Prefetch]:
    """The same for categories (at `path`, e.g. "category__"; select_related them first)."""
    if not _needs_texts(languages):
        return []
    queryset = _ranked(CategoryTranslation.objects.all(), languages)
    return [Prefetch(f"{path}translations", queryset=queryset, to_attr=TEXT_ATTR)]


def _needs_texts(languages: tuple[str, ...]) -> bool:
    # A reader of the catalog's own language alone needs no query (the screens' counts stay as they were).
    return bool(languages) and languages != (supported(settings.LANGUAGE_CODE),)


def with_texts(queryset: QuerySet, languages: tuple[str, ...], *, path: str = "", category: bool = False) -> QuerySet:
    """`queryset` with its products' texts (at `path`) in `languages` prefetched, and their categories'."""
    prefetches = product_texts(languages, path=path)
    if category:
        prefetches += category_texts(languages, path=f"{path}category__")
    return queryset.prefetch_related(*prefetches)


def for_store(store) -> tuple[str, ...]:
    """The portal's catalog texts at `store`: the active language (the staff member's), then the store's
    market's default. The store's market is read with it (resolve_current_store)."""
    if reads_own_text():
        return reading_order()
    return reading_order(translation.get_language(), store.market.default_language)


def attach_texts(products: list, languages: tuple[str, ...]) -> list:
    """Sets the texts on products made by hand (raw SQL rows): one query, none without products."""
    if not products or not product_texts(languages):
        return products
    found: dict[int, list] = {}
    wanted = {p.pk for p in products}
    for text in _ranked(ProductTranslation.objects.filter(product_id__in=wanted), languages):
        found.setdefault(text.product_id, []).append(text)
    for product in products:
        setattr(product, TEXT_ATTR, found.get(product.pk, []))
    return products
