"""A payment provider that stops in the middle of a checkout so a test can cut its database connection.

The first authorisation records the PostgreSQL backend of the checkout's connection (and what that
still-open transaction has written so far), signals `in_flight`, and waits for `resume`; later
authorisations go straight through. Everything else is the built-in test provider.
"""

import threading

from django.db import connection

from inventory.models import Reservation
from orders.models import Order
from orders.payments import TestPaymentProvider

WAIT = 30


class PausingPaymentProvider(TestPaymentProvider):
    in_flight = threading.Event()
    resume = threading.Event()
    armed = False
    backend_pid: int | None = None
    written: dict = {}
    calls = 0
    keys: list = []

    @classmethod
    def arm(cls) -> None:
        cls.in_flight, cls.resume = threading.Event(), threading.Event()
        cls.armed, cls.backend_pid, cls.written, cls.calls, cls.keys = True, None, {}, 0, []

    def authorize(self, **kwargs):
        cls = type(self)
        cls.calls += 1
        cls.keys.append(kwargs["idempotency_key"])
        if cls.armed:
            cls.armed = False
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                cls.backend_pid = cursor.fetchone()[0]
            cls.written = {
                "orders": Order.objects.count(),
                "reservations": Reservation.objects.filter(status=Reservation.Status.ACTIVE).count(),
            }
            cls.in_flight.set()
            if not cls.resume.wait(WAIT):
                raise TimeoutError("the test never let the checkout go on")
        return super().authorize(**kwargs)
