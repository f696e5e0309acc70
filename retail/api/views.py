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
from retail.api.schema import path_example
from retail.api.serializers import StoreSerializer
from retail.errors import DomainError, RetailCode
from retail.geo import parse_point
from retail.models import Store
from retail.selectors import stores_by_distance

path_example("code", EXAMPLE_STORE)


class StoreListView(generics.ListAPIView):
    """Active stores and warehouses; with `near=lat,lng`, nearest first with the distance in km."""

    serializer_class = StoreSerializer
    permission_classes = [permissions.AllowAny]
    pagination_class = None  # a chain has hundreds of locations, not millions

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "near",
                OpenApiTypes.STR,
                pattern=schema_pattern(COORDINATES_PATTERN),
                description="latitude,longitude e.g. 51.5072,-0.1276",
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
            message=f"kind must be one of {', '.join(Store.Kind.values)}.",
            code=RetailCode.INVALID_KIND,
        )
        if kind:
            qs = qs.filter(kind=kind)
        if query_param(self.request, "pickup", BOOLEAN_PATTERN, message="true or false.") == "true":
            qs = qs.filter(pickup_enabled=True)
        near = query_param(
            self.request,
            "near",
            COORDINATES_PATTERN,
            message="Give coordinates as 'latitude,longitude', e.g. 51.5072,-0.1276.",
            code=RetailCode.INVALID_COORDINATES,
        )
        if near:
            try:
                lat, lng = parse_point(near)
            except ValueError as exc:
                raise DomainError(str(exc), code=RetailCode.INVALID_COORDINATES, fields={"near": [str(exc)]}) from None
            return stores_by_distance(lat=lat, lng=lng, queryset=qs)
        return qs.order_by("code")


class StoreDetailView(generics.RetrieveAPIView):
    serializer_class = StoreSerializer
    permission_classes = [permissions.AllowAny]
    queryset = Store.objects.active()
    lookup_field = "code"
