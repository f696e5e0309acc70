"""A test-only endpoint behind @idempotent(required=True), used with @pytest.mark.urls.

POST {"note": ...} writes one AuditEvent and answers 201. The body steers it:
"refuse": true → a 400 domain error after writing (the write must roll back, the 400 be stored);
"crash": true → an unhandled error (a 500: nothing stored, the key stays free);
"wait": true → blocks on `gate` until the test releases it.
"""

import threading

from django.urls import include, path
from rest_framework import permissions
from rest_framework.response import Response
from rest_framework.views import APIView

from retail.api.idempotency import idempotent
from retail.errors import DomainError
from retail.services import record_audit_event

ACTION = "test.idempotent_effect"


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
            raise DomainError("Notes must not say no.", code="note_refused", fields={"note": ["Say yes."]})
        if request.data.get("crash"):
            raise RuntimeError("simulated crash after writing")
        return Response({"audit_event": event.pk, "note": note}, status=201)


urlpatterns = [
    path("api/v1/", include([path("effects/", EffectView.as_view(), name="effects")])),
]
