"""Outbox topics for the tests, registered in the test process and in the test worker.

Each delivery leaves one AuditEvent (action DELIVERED, object_id = message id), so a test can
count deliveries exactly; it commits together with the message's `delivered` mark.
"""

import time
from pathlib import Path

from retail.outbox import outbox_handler
from retail.services import record_audit_event

DELIVERED = "test.outbox_delivered"


def _record(message) -> None:
    record_audit_event(
        actor=None,
        action=DELIVERED,
        object_type="retail.outboxmessage",
        object_id=message.pk,
        details={"attempt": message.attempts, "payload": message.payload},
    )


@outbox_handler("test.record")
def record(message) -> None:
    _record(message)


@outbox_handler("test.refused")
def refused(message) -> None:
    _record(message)  # written, then rolled back with the failed attempt
    raise ConnectionError("the downstream service said no")


@outbox_handler("test.slow_first_attempt")
def slow_first_attempt(message) -> None:
    """First attempt: say so in a file, then hang until the test kills the worker."""
    _record(message)
    if message.attempts == 1:
        Path(message.payload["signal_dir"], f"started-{message.pk}").write_text("started")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            time.sleep(0.05)
        raise TimeoutError("the test was meant to kill this worker")


@outbox_handler("test.secret_refused", secrets=("code",))
def secret_refused(message) -> None:
    raise ConnectionError("the SMS gateway said no")
