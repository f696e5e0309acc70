"""Test-only API endpoints on the real DRF stack, used with @pytest.mark.urls("tests.retail.api_urls").

`effects/` sits behind @idempotent(required=True): POST {"note": ...} writes one AuditEvent and
answers 201. The body steers it:
"refuse": true → a 400 domain error after writing (the write must roll back, the 400 be stored);
"crash": true → an unhandled error (a 500: nothing stored, the key stays free);
"wait": true → blocks on `gate` until the test releases it.
"""

import threading

from django.urls import include, path
from rest_framework import permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from retail.api.idempotency import idempotent, request_scope
from retail.errors import DomainError, ErrorCode
from retail.services import record_audit_event

ACTION = "test.idempotent_effect"


class NoteCode(ErrorCode):
    NOTE_REFUSED = "note_refused", 400, "The note says no."


class Gate:
    def __init__(self):
        self.entered = threading.Event()
        self.release = threading.Event()


gate = Gate()


class EffectView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @idempotent(required=True)
    def post(self, request):
        note = str(request.data.get("note", ""))
        event = record_audit_event(actor=request.user, action=ACTION, details={"note": note})
        if request.data.get("wait"):
            gate.entered.set()
            if not gate.release.wait(timeout=30):
                raise RuntimeError("the test never released the gate")
        if request.data.get("refuse"):
            raise DomainError("Notes must not say no.", code=NoteCode.NOTE_REFUSED, fields={"note": ["Say yes."]})
        if request.data.get("crash"):
            raise RuntimeError("simulated crash after writing")
        return Response({"audit_event": event.pk, "note": note}, status=201)


class WhoAmIView(APIView):
    """Who the API thinks is calling: `device:<id>` or `user:<id>`."""

    permission_classes = [permissions.IsAuthenticated]

    def get(self, request):
        return Response({"principal": request_scope(request)})


class ParcelInput(serializers.Serializer):
    class Line(serializers.Serializer):
        sku = serializers.CharField()
        quantity = serializers.IntegerField(min_value=1)

    store = serializers.CharField()
    lines = Line(many=True)


class ParcelView(APIView):
    """Validates its input and answers 200: shows the field-error format."""

    permission_classes = [permissions.AllowAny]

    def post(self, request):
        data = ParcelInput(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(data.validated_data)


urlpatterns = [
    path(
        "api/v1/",
        include(
            [
                path("effects/", EffectView.as_view(), name="effects"),
                path("whoami/", WhoAmIView.as_view(), name="whoami"),
                path("parcels/", ParcelView.as_view(), name="parcels"),
            ]
        ),
    ),
]
