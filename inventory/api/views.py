"""Catalog and availability for app and web clients: public reads, thin over inventory.selectors."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, permissions
from rest_framework.response import Response
from rest_framework.views import APIView

from inventory import selectors
from inventory.api.serializers import (
    AvailabilitySerializer,
    ProductDetailSerializer,
    ProductListSerializer,
)
from inventory.errors import InventoryCode, InventoryError
from inventory.models import Category
from retail.api.pagination import CursorPagination
from retail.errors import RetailCode
from retail.geo import parse_point
from retail.models import Store

MAX_SKUS = 50
MAX_LIMIT = 50


class ProductPagination(CursorPagination):
    ordering = ("name", "id")


class ProductListView(generics.ListAPIView):
    """Active products with their active variants, by name; search and category filter."""

    serializer_class = ProductListSerializer
    permission_classes = [permissions.AllowAny]
    pagination_class = ProductPagination

    @extend_schema(
        parameters=[
            OpenApiParameter("q", OpenApiTypes.STR, description="Name, brand, style code, SKU or barcode."),
            OpenApiParameter("category", OpenApiTypes.STR, description="Category slug; includes its sub-categories."),
        ],
        responses={200: ProductListSerializer(many=True)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        params = self.request.query_params
        category = None
        if params.get("category"):
            category = Category.objects.filter(slug=params["category"]).first()
            if category is None:
                raise InventoryError(
                    f"There is no category {params['category']!r}.",
                    code=InventoryCode.UNKNOWN_CATEGORY,
                    fields={"category": ["Unknown."]},
                )
        return selectors.search_products(query=params.get("q", "")[:100], category=category)


class ProductDetailView(generics.RetrieveAPIView):
    serializer_class = ProductDetailSerializer
    permission_classes = [permissions.AllowAny]

    def get_queryset(self):
        return selectors.search_products()


def _skus(request) -> list[str]:
    raw = [part for value in request.query_params.getlist("sku") for part in value.split(",")]
    skus = sorted({s.strip() for s in raw if s.strip()})
    if not skus:
        raise InventoryError("Give at least one `sku`.", code=RetailCode.INVALID, fields={"sku": ["Required."]})
    if len(skus) > MAX_SKUS:
        raise InventoryError(
            f"Ask for at most {MAX_SKUS} SKUs at once.", code=RetailCode.INVALID, fields={"sku": ["Too many."]}
        )
    return skus


def _limit(request) -> int:
    raw = request.query_params.get("limit", "5")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise InventoryError(
            f"limit must be a whole number from 1 to {MAX_LIMIT}.",
            code=RetailCode.INVALID,
            fields={"limit": ["Out of range."]},
        )
    return int(raw)


class AvailabilityView(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        summary="Is it in stock, here or near me?",
        description=(
            "Sellable units (on hand minus reserved minus safety stock) per SKU. With `store`: at that "
            "store (a SKU it never stocked shows 0). With `near`: the `limit` nearest locations that have it, "
            "nearest first, with the distance. With neither: every location that stocks it. Each row says "
            "when that SKU was last counted there, so the app can say how far to trust it."
        ),
        parameters=[
            OpenApiParameter("sku", OpenApiTypes.STR, required=True, description="One or more SKUs, comma-separated."),
            OpenApiParameter("store", OpenApiTypes.STR, description="A store code, e.g. LON-01."),
            OpenApiParameter("near", OpenApiTypes.STR, description="latitude,longitude e.g. 51.5072,-0.1276"),
            OpenApiParameter(
                "limit", OpenApiTypes.INT, description=f"With near: locations per SKU (1-{MAX_LIMIT}, 5)."
            ),
        ],
        responses={200: AvailabilitySerializer},
    )
    def get(self, request):
        skus = _skus(request)
        params = request.query_params
        if params.get("store") and params.get("near"):
            raise InventoryError(
                "Give `store` or `near`, not both.", code=RetailCode.INVALID, fields={"near": ["Conflicts."]}
            )
        if params.get("store"):
            store = Store.objects.active().filter(code=params["store"].strip()).first()
            if store is None:
                raise InventoryError(
                    f"There is no open store {params['store']!r}.",
                    code=RetailCode.UNKNOWN_STORE,
                    fields={"store": ["Unknown."]},
                )
            rows = selectors.availability_at_location(skus=skus, location=store)
        elif params.get("near"):
            try:
                lat, lng = parse_point(params["near"])
            except ValueError as exc:
                raise InventoryError(
                    str(exc), code=RetailCode.INVALID_COORDINATES, fields={"near": [str(exc)]}
                ) from None
            rows = selectors.nearest_availability(skus=skus, lat=lat, lng=lng, limit=_limit(request))
        else:
            rows = selectors.availability_everywhere(skus=skus)
        return Response(AvailabilitySerializer({"skus": skus, "results": rows}).data)
