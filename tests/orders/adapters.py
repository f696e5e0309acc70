"""Adapters for tests, named by dotted path in settings."""

from orders.notifications import RecordingAdapter


class FailOnceAdapter(RecordingAdapter):
    failures_left = 0

    def send(self, message):
        if type(self).failures_left > 0:
            type(self).failures_left -= 1
            raise ConnectionError("gateway timed out")
        super().send(message)
