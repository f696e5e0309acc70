"""Catalog and availability for app and web clients: public reads, thin over inventory.selectors."""

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import generics, permissions
from rest_framework.response import Response
from rest_framework.views import APIView

from inventory import catalog_texts, selectors
from inventory.api.fields import EXAMPLE_SKU, SKU_PATTERN
from inventory.api.serializers import (
    AvailabilitySerializer,
    ProductDetailSerializer,
    ProductListSerializer,
)
from inventory.errors import InventoryCode, InventoryError
from inventory.models import Category
from retail.api.fields import (
    COORDINATES_PATTERN,
    EXAMPLE_ID,
    EXAMPLE_POINT,
    EXAMPLE_STORE,
    STORE_CODE_PATTERN,
    query_param,
    schema_pattern,
)
from retail.api.pagination import CursorPagination
from retail.api.schema import path_example
from retail.domain.channel import Channel
from retail.errors import RetailCode
from retail.geo import distance_between, parse_point
from retail.markets import market_for_sale
from retail.models import Market, Store
from retail.promise import promise_for

MAX_SKUS = 50
MAX_LIMIT = 50
# One to MAX_SKUS SKUs, comma-separated.
SKUS_PATTERN = rf"\A{SKU_PATTERN[2:-2]}(,{SKU_PATTERN[2:-2]}){{0,{MAX_SKUS - 1}}}\Z"
EXAMPLE_CATEGORY = "shirts"  # a category of the demo chain (and of the fuzz run's)
SLUG_PATTERN = r"\A[-a-zA-Z0-9_]{1,100}\Z"
LIMIT_PATTERN = r"\A([1-9]|[1-4][0-9]|50)\Z"


path_example("id", EXAMPLE_ID)


class ProductPagination(CursorPagination):
    ordering = ("name", "id")


def reading_order() -> tuple[str, ...]:
    """The API's catalog texts: the caller's language (Accept-Language, as LocaleMiddleware chose it),
    then the home market's default language (one query, not for a reader of the catalog's own language),
    then the catalog's own text."""
    if catalog_texts.reads_own_text():
        return catalog_texts.reading_order()
    fallback = Market.objects.filter(is_home=True).values_list("default_language", flat=True).first()
    return catalog_texts.reading_order(translation.get_language(), fallback)


COUNTRY_PATTERN = r"\A[A-Za-z]{2}\Z"
MARKET_PARAMETERS = [
    OpenApiParameter(
        "store",
        OpenApiTypes.STR,
        pattern=schema_pattern(STORE_CODE_PATTERN),
        description="Prices in this store's market (in store, pick-up). Wins over `country`.",
        examples=[OpenApiExample("Covent Garden", value=EXAMPLE_STORE)],
    ),
    OpenApiParameter(
        "country",
        OpenApiTypes.STR,
        pattern=schema_pattern(COUNTRY_PATTERN),
        description="The shopper's country (ISO 3166-1, e.g. PL): prices in the market selling online there. "
        "Neither: the home market's prices.",
        examples=[OpenApiExample("Poland", value="PL")],
    ),
]


def caller_market(request) -> Market:
    """The market whose prices the caller reads: the `store`'s, else the online market of `country`,
    else the home market. One query."""
    code = query_param(request, "store", STORE_CODE_PATTERN, message=_("A store code, e.g. LON-01."))
    if code:
        store = Store.objects.select_related("market").filter(code__iexact=code, is_active=True).first()
        if store is None:
            raise InventoryError(
                _("There is no open store %(code)s.") % {"code": code},
                code=InventoryCode.UNKNOWN_LOCATION,
                fields={"store": [_("Unknown.")]},
            )
        return store.market
    country = query_param(request, "country", COUNTRY_PATTERN, message=_("A country code, e.g. PL."))
    return market_for_sale(channel=Channel.WEB.value, country=(country or "").upper())


class MarketPricesMixin:
    """Product endpoints price their variants in the caller's market (`caller_market`)."""

    market: Market | None = None  # set for each request (`initial`); None while the schema is drawn

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "market": self.market}

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.market = caller_market(request)


class ProductListView(MarketPricesMixin, generics.ListAPIView):
    """Active products with their active variants, by name; search and category filter. Names,
    descriptions and category names in the caller's language (Accept-Language) where translated;
    prices and currency of the caller's market."""

    serializer_class = ProductListSerializer
    permission_classes = [permissions.AllowAny]
    pagination_class = ProductPagination

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "q",
                OpenApiTypes.STR,
                description="Name, brand, style code, SKU or barcode.",
                examples=[OpenApiExample("Shirts", value="shirt")],
            ),
            OpenApiParameter(
                "category",
                OpenApiTypes.STR,
                pattern=schema_pattern(SLUG_PATTERN),
                description="Category slug; includes its sub-categories.",
                examples=[OpenApiExample("Shirts", value=EXAMPLE_CATEGORY)],
            ),
            *MARKET_PARAMETERS,
        ],
        responses={200: ProductListSerializer(many=True)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        params = self.request.query_params
        category = None
        slug = query_param(self.request, "category", SLUG_PATTERN, message=_("A category slug, e.g. womens-tops."))
        if slug:
            category = Category.objects.filter(slug=slug).first()
            if category is None:
                raise InventoryError(
                    _("There is no category %(slug)s.") % {"slug": repr(slug)},
                    code=InventoryCode.UNKNOWN_CATEGORY,
                    fields={"category": [_("Unknown.")]},
                )
        return selectors.search_products(
            query=params.get("q", "")[:100], category=category, languages=reading_order(), market=self.market
        )


class ProductDetailView(MarketPricesMixin, generics.RetrieveAPIView):
    """One product with its active variants, priced in the caller's market."""

    serializer_class = ProductDetailSerializer
    permission_classes = [permissions.AllowAny]

    @extend_schema(parameters=MARKET_PARAMETERS)
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return selectors.search_products(languages=reading_order(), market=self.market)


def _skus(request) -> list[str]:
    raw = query_param(
        request,
        "sku",
        SKUS_PATTERN,
        required=True,
        message=_("1 to %(most)s SKUs, comma-separated.") % {"most": MAX_SKUS},
    )
    return sorted(set(raw.split(",")))


def _limit(request) -> int:
    raw = query_param(
        request, "limit", LIMIT_PATTERN, message=_("limit is a whole number from 1 to %(most)s.") % {"most": MAX_LIMIT}
    )
    return int(raw or 5)


def _with_promises(rows: list[dict]) -> list[dict]:
    """Each row with its store's click-and-collect promise for an order placed now (from the store's
    columns the row carries: no query)."""
    now = timezone.now()
    promises = {}
    for row in rows:
        if row["location"] not in promises:
            promises[row["location"]] = promise_for(row["location_store"], now=now)
    return [{**row, "pickup_promise": promises[row["location"]]} for row in rows]


class AvailabilityView(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        summary="Is it in stock, here or near me?",
        description=(
            "Sellable units (on hand minus reserved minus safety stock) per SKU. With `store`: at that "
            "store (a SKU it never stocked shows 0), and with `near` too its distance from there. With `near` "
            "alone: the `limit` nearest locations that have it, nearest first, with the distance. With "
            "neither: every location that stocks it. Each row says "
            "when that SKU was last counted there, so the app can say how far to trust it."
        ),
        parameters=[
            OpenApiParameter(
                "sku",
                OpenApiTypes.STR,
                required=True,
                pattern=schema_pattern(SKUS_PATTERN),
                description=f"1 to {MAX_SKUS} SKUs, comma-separated.",
                examples=[OpenApiExample("A shirt", value=EXAMPLE_SKU)],
            ),
            OpenApiParameter(
                "store",
                OpenApiTypes.STR,
                pattern=schema_pattern(STORE_CODE_PATTERN),
                description="A store code.",
                examples=[OpenApiExample("Covent Garden", value=EXAMPLE_STORE)],
            ),
            OpenApiParameter(
                "near",
                OpenApiTypes.STR,
                pattern=schema_pattern(COORDINATES_PATTERN),
                description="latitude,longitude e.g. 51.5072,-0.1276",
                examples=[OpenApiExample("London", value=EXAMPLE_POINT)],
            ),
            OpenApiParameter(
                "limit",
                {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
                description=f"With near: locations per SKU (1-{MAX_LIMIT}, 5).",
            ),
        ],
        responses={200: AvailabilitySerializer},
    )
    def get(self, request):
        skus = _skus(request)
        code = query_param(request, "store", STORE_CODE_PATTERN, message=_("A store code, e.g. LON-01."))
        near = query_param(
            request,
            "near",
            COORDINATES_PATTERN,
            message=_("Give coordinates as 'latitude,longitude', e.g. 51.5072,-0.1276."),
            code=RetailCode.INVALID_COORDINATES,
        )
        limit = _limit(request)
        point = None
        if near:
            try:
                point = parse_point(near)
            except ValueError as exc:
                raise InventoryError(
                    str(exc), code=RetailCode.INVALID_COORDINATES, fields={"near": [str(exc)]}
                ) from None
        if code:
            store = Store.objects.active().filter(code=code).first()
            if store is None:
                raise InventoryError(
                    _("There is no open store %(code)s.") % {"code": repr(code)},
                    code=RetailCode.UNKNOWN_STORE,
                    fields={"store": [_("Unknown.")]},
                )
            rows = selectors.availability_at_location(skus=skus, location=store)
            if point is not None:  # how far that store is from the shopper
                away = distance_between(point, (float(store.latitude), float(store.longitude)))
                rows = [{**row, "distance_km": away} for row in rows]
        elif point is not None:
            rows = selectors.nearest_availability(skus=skus, lat=point[0], lng=point[1], limit=limit)
        else:
            rows = selectors.availability_everywhere(skus=skus)
        return Response(AvailabilitySerializer({"skus": skus, "results": _with_promises(rows)}).data)
