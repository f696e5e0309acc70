import math

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import generics, permissions

from retail.api.fields import (
    BOOLEAN_PATTERN,
    COORDINATES_PATTERN,
    EXAMPLE_POINT,
    EXAMPLE_STORE,
    query_param,
    schema_pattern,
)
from retail.api.pagination import CursorPagination
from retail.api.schema import path_example
from retail.api.serializers import StoreSerializer
from retail.errors import DomainError, RetailCode
from retail.geo import parse_point
from retail.models import Store
from retail.selectors import stores_by_distance

path_example("code", EXAMPLE_STORE)


STORES_PAGE_SIZE = 50
NEAR_PAGE_SIZE = 10  # "stores near me": the nearest ten, unless the client asks for more
MAX_STORES_PAGE_SIZE = 100


class StorePagination(CursorPagination):
    """By code; with `near`, by distance (StoreListView). Every location of a chain of 500 in one
    answer was 300 KB and 330-470 ms of serialisation (benchmarks/REPORT.md, xlarge)."""

    ordering = ("code",)
    page_size = STORES_PAGE_SIZE
    max_page_size = MAX_STORES_PAGE_SIZE
    page_size_query_description = (
        f"Locations per page, 1 to {MAX_STORES_PAGE_SIZE}: by default {STORES_PAGE_SIZE}, "
        f"and the nearest {NEAR_PAGE_SIZE} with `near`."
    )

    def decode_cursor(self, request):
        cursor = super().decode_cursor(request)
        if cursor is not None and cursor.position is not None and self.ordering[0] == "distance_km":
            try:
                finite = math.isfinite(float(cursor.position))
            except ValueError:
                finite = False
            if not finite:  # "-inf" would be the first page again, "nan" and "inf" an empty one
                raise self.invalid_cursor()
        return cursor


class StoreListView(generics.ListAPIView):
    """Active stores and warehouses by code, a page at a time; with `near=lat,lng`, the nearest first with
    the distance in km (the nearest 10 unless `page_size` asks for up to 100; `next` goes on to the
    farther ones)."""

    serializer_class = StoreSerializer
    permission_classes = [permissions.AllowAny]
    pagination_class = StorePagination

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "near",
                OpenApiTypes.STR,
                pattern=schema_pattern(COORDINATES_PATTERN),
                description=(
                    "latitude,longitude e.g. 51.5072,-0.1276: nearest first, each with `distance_km`; "
                    f"the nearest {NEAR_PAGE_SIZE} unless `page_size` says otherwise (at most {MAX_STORES_PAGE_SIZE})."
                ),
                examples=[OpenApiExample("London", value=EXAMPLE_POINT)],
            ),
            OpenApiParameter("kind", OpenApiTypes.STR, enum=list(Store.Kind.values)),
            OpenApiParameter("pickup", OpenApiTypes.BOOL, description="true: only stores that offer pick-up"),
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        qs = Store.objects.active()
        kind = query_param(
            self.request,
            "kind",
            rf"\A({'|'.join(Store.Kind.values)})\Z",
            message=_("kind must be one of %(kinds)s.") % {"kinds": ", ".join(Store.Kind.values)},
            code=RetailCode.INVALID_KIND,
        )
        if kind:
            qs = qs.filter(kind=kind)
        if query_param(self.request, "pickup", BOOLEAN_PATTERN, message=_("pickup is true or false.")) == "true":
            qs = qs.filter(pickup_enabled=True)
        near = query_param(
            self.request,
            "near",
            COORDINATES_PATTERN,
            message=_("Give coordinates as 'latitude,longitude', e.g. 51.5072,-0.1276."),
            code=RetailCode.INVALID_COORDINATES,
        )
        if near:
            try:
                lat, lng = parse_point(near)
            except ValueError as exc:
                raise DomainError(str(exc), code=RetailCode.INVALID_COORDINATES, fields={"near": [str(exc)]}) from None
            return stores_by_distance(lat=lat, lng=lng, queryset=qs)
        return qs.order_by("code")

    def paginate_queryset(self, queryset):
        if "distance_km" in queryset.query.annotations:  # `near`: the position is the distance, ties by code
            self.paginator.ordering = ("distance_km", "code")
            self.paginator.page_size = NEAR_PAGE_SIZE
        return super().paginate_queryset(queryset)


class StoreDetailView(generics.RetrieveAPIView):
    serializer_class = StoreSerializer
    permission_classes = [permissions.AllowAny]
    queryset = Store.objects.active()
    lookup_field = "code"
