"""Adapters for tests, named by dotted path in settings."""

from orders.notifications import RecordingAdapter


class FailOnceAdapter(RecordingAdapter):
    failures_left = 0

    def send(self, message):
        if type(self).failures_left > 0:
            type(self).failures_left -= 1
            raise ConnectionError("gateway timed out")
        super().send(message)


class HangOnceFileAdapter:
    """For a real worker: the first send hangs (the test kills the worker), later sends append a line
    to a file, once per idempotency key — as a gateway that dedupes by key would deliver."""

    def send(self, message):
        import os
        import time
        from pathlib import Path

        folder = Path(os.environ["ORDERS_TEST_SIGNAL_DIR"])
        started = folder / "started"
        if not started.exists():
            started.write_text(message.idempotency_key)
            time.sleep(3600)
        with (folder / "sent.log").open("a") as log:
            log.write(f"{message.idempotency_key} {message.recipient} {message.subject}\n")
