"""The Celery app a test worker runs: the project's app plus the test outbox topics.

celery -A tests.retail.worker_app worker -P solo -Q <queue>
"""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "retail.settings")
django.setup()

from retail.celery import app  # noqa: E402
from tests.retail import outbox_handlers  # noqa: E402, F401 — registers the test topics

__all__ = ["app"]
