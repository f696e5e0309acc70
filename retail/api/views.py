from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, permissions

from retail.api.serializers import StoreSerializer
from retail.errors import DomainError, RetailCode
from retail.geo import parse_point
from retail.models import Store
from retail.selectors import stores_by_distance


class StoreListView(generics.ListAPIView):
    """Active stores and warehouses; with `near=lat,lng`, nearest first with the distance in km."""

    serializer_class = StoreSerializer
    permission_classes = [permissions.AllowAny]
    pagination_class = None  # a chain has hundreds of locations, not millions

    @extend_schema(
        parameters=[
            OpenApiParameter("near", OpenApiTypes.STR, description="latitude,longitude e.g. 51.5072,-0.1276"),
            OpenApiParameter("kind", OpenApiTypes.STR, enum=list(Store.Kind.values)),
            OpenApiParameter("pickup", OpenApiTypes.BOOL, description="only stores that offer pick-up"),
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        qs = Store.objects.active()
        params = self.request.query_params
        kind = params.get("kind")
        if kind:
            if kind not in Store.Kind.values:
                raise DomainError(
                    f"kind must be one of {', '.join(Store.Kind.values)}.",
                    code=RetailCode.INVALID_KIND,
                    fields={"kind": ["Unknown kind."]},
                )
            qs = qs.filter(kind=kind)
        if params.get("pickup") in {"1", "true", "yes"}:
            qs = qs.filter(pickup_enabled=True)
        near = params.get("near")
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
