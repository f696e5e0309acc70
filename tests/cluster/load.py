"""The rehearsal's clients: benchmarks/load.py's mix through nginx, plus managers' reports (the replica),
retrying what a killed host left unanswered when the request is safe to send again.

Safe to send again: every GET; a checkout or a cancellation (its `Idempotency-Key`: the replay
answers, a 409 says the first is still running), a till's sale (its receipt number) and an app's
event batch (event ids).
An associate's note is not: a 5xx on it stays a failure.
"""

from __future__ import annotations

import collections
import contextlib
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field

from benchmarks.load import CLASSES, Client, LoadClass, Request, checkout_request, get_request, post_request

RETRY_STATUSES = frozenset({502, 503, 504})
RETRIES = 3
IDEMPOTENT_POSTS = frozenset({"app.checkout", "app.pickup", "app.cancel", "pos.sale", "app.events"})
IDEMPOTENT_KEYS = frozenset(
    {"app.checkout", "app.pickup", "app.cancel"}
)  # a 409 on a retry: the first is still running
SOURCE = re.compile(rb'data-figures-source="([a-z_]+)"')


class PlacedOrders:
    """The run's pick-up orders (checkout answers), for shoppers to cancel: each cancelled once."""

    def __init__(self):
        self.orders: collections.deque[tuple[str, str]] = collections.deque()

    def keep(self, token: str, body: bytes) -> None:
        with contextlib.suppress(ValueError, KeyError, TypeError):
            self.orders.append((token, json.loads(body)["number"]))

    def cancel(self, rng, actors, tag) -> Request:
        try:
            token, number = self.orders.popleft()
        except IndexError:  # no order of the run to cancel yet
            return get_request("/api/v1/me/orders/", {"X-Session-Token": rng.choice(actors.shoppers)})
        headers = {"X-Session-Token": token, "Idempotency-Key": str(uuid.uuid4())}
        return post_request(f"/api/v1/orders/{number}/cancel/", {"reason": "changed my mind"}, headers)


def pickup_class() -> LoadClass:
    """More pick-up checkouts than the load's mix (its own class, the same request): orders to cancel."""
    return LoadClass(
        "app.pickup",
        4,
        "POST /api/v1/orders/: the app checkout again, for shoppers who then cancel (Idempotency-Key)",
        checkout_request,
        expect=frozenset({201}),
    )


def cancel_class(placed: PlacedOrders) -> LoadClass:
    """A shopper cancels a pick-up placed in the run: stock released, payment voided, an e-mail sent."""
    return LoadClass(
        "app.cancel",
        4,
        "POST /api/v1/orders/<number>/cancel/ (Idempotency-Key) of an order the run placed (GET /me/orders/ before)",
        placed.cancel,
    )


def reports_class(cookie: str) -> LoadClass:
    """A store manager's insights page: read from the replica while it is fresh, else the primary."""
    return LoadClass(
        "portal.insights",
        3,
        "GET /portal/insights/ (a manager: figures from the streaming replica, else the primary)",
        lambda r, a, t: Request("GET", "/portal/insights/", {"Cookie": cookie, "Accept": "text/html"}),
        body_must_contain=b"data-figures-source=",
    )


@dataclass
class Journal:
    """What the clients saw beyond the load's samples: every 5xx, every retry, where reports read."""

    started: float = field(default_factory=time.monotonic)
    server_errors: list[dict] = field(default_factory=list)  # every 5xx answer, first tries and retries
    retries: list[dict] = field(default_factory=list)
    unanswered: list[dict] = field(default_factory=list)  # a 5xx left as the final answer
    sources: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note(self, kind: str, **row) -> None:
        row["at"] = round(time.monotonic() - self.started, 2)
        with self.lock:
            if kind == "source":
                source = "primary" if row["source"] == "default" else row["source"]  # Django's alias of the primary
                self.sources[source] = self.sources.get(source, 0) + 1
            else:
                getattr(self, kind).append(row)


def client_class(journal: Journal, *extra: LoadClass, placed: PlacedOrders) -> type[Client]:
    class ClusterClient(Client):
        classes = [*CLASSES, *extra]

        def _pick(self, n):
            self.current = super()._pick(n)
            return self.current

        def _send(self, conn, request):
            name = self.current.name
            safe = request.method == "GET" or name in IDEMPOTENT_POSTS
            for attempt in range(1, RETRIES + 2):
                status, body, queries = super()._send(conn, request)
                if status >= 500:
                    journal.note("server_errors", cls=name, method=request.method, status=status, attempt=attempt)
                again = status in RETRY_STATUSES or (status == 409 and name in IDEMPOTENT_KEYS and attempt > 1)
                if not (again and safe and attempt <= RETRIES):
                    break
                journal.note("retries", cls=name, status=status, attempt=attempt)
                time.sleep(0.25 * attempt)
            if status >= 500:
                journal.note("unanswered", cls=name, method=request.method, status=status)
            if name in ("app.checkout", "app.pickup") and status == 201:
                placed.keep(request.headers["X-Session-Token"], body)
            if name == "portal.insights" and (found := SOURCE.search(body)):
                journal.note("source", source=found.group(1).decode())
            return status, body, queries

    return ClusterClient
