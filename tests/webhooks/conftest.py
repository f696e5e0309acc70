"""Webhook fixtures: a real HTTP receiver on 127.0.0.1 (a thread in the test), subscriptions to it,
and the returns fixtures (delivered and shipped orders) to cause every kind of event."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from retail.models import OutboxMessage
from retail.outbox import deliver_outbox_message
from tests.retail.test_outbox_worker import broker, producer, queue, start_worker  # noqa: F401 — the worker harness
from tests.returns.conftest import (  # noqa: F401 — shared fixtures
    _recording_adapters,
    coat,
    deliver,
    jeans,
    manager,
    other_associate,
    other_manager,
    outlet,
    policy,
    shipped,
    shirt,
    shirt_l,
    shopper,
    shopper_user,
    tops,
    warehouse,
)
from webhooks import services
from webhooks.signing import InvalidSignature, verify_signature


class Receiver:
    """Records every POST; answers `status` (a list is used up one per request, then the last stays)."""

    def __init__(self):
        self.requests: list[dict] = []
        self.arrived: list[bytes] = []  # bodies, as they arrive (before `hold` lets them be answered)
        self.statuses = [200]
        self.secret = ""
        self.hold = threading.Event()
        self.hold.set()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.arrived.append(body)
                receiver.hold.wait(30)
                status = receiver.statuses.pop(0) if len(receiver.statuses) > 1 else receiver.statuses[0]
                receiver.requests.append({"headers": dict(self.headers), "body": body, "status": status})
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "text/plain")
                    self.end_headers()
                    self.wfile.write(b"ok" if status < 300 else b"receiver says no")
                except OSError:
                    pass  # the sender was killed while we held its request: we processed it all the same

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/omnistore"

    def events(self, *, verified: bool = True) -> list[dict]:
        """The envelopes received (2xx answers only), each checked against the signature."""
        found = []
        for request in self.requests:
            if request["status"] >= 300:
                continue
            if verified:
                verify_signature(self.secret, request["headers"]["Omnistore-Signature"], request["body"])
            found.append(json.loads(request["body"]))
        return found

    def close(self):
        self.hold.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def loopback(settings):
    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    settings.WEBHOOKS_BACKOFF_BASE_SECONDS = 0.01
    settings.WEBHOOKS_BACKOFF_MAX_SECONDS = 0.05
    settings.WEBHOOKS_COALESCE_SECONDS = 0
    return settings


@pytest.fixture
def receiver(loopback):
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def subscribe(receiver, django_user_model):
    def make(event_types, *, url=None, name="Warehouse"):
        subscription, secret = services.create_subscription(
            name=name, url=url or receiver.url, event_types=list(event_types), actor=None
        )
        receiver.secret = secret
        return subscription

    return make


def run_outbox() -> int:
    """Deliver every pending outbox message in the test process, as a worker would (id order)."""
    done = 0
    for message_id in OutboxMessage.objects.filter(status="pending").order_by("id").values_list("id", flat=True):
        deliver_outbox_message(message_id=message_id)
        done += 1
    return done


__all__ = ["InvalidSignature", "Receiver", "run_outbox"]
