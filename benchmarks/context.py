"""What builders and scenarios receive: the scale, a seeded random generator, HTTP clients."""

import random
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

from django.test import Client

from benchmarks.scales import Scale


def _seeded(name: str, seed: int) -> random.Random:
    # crc32, not hash(): the same name gives the same numbers in every process
    return random.Random(seed * 1_000_003 + zlib.crc32(name.encode()))


@dataclass
class DatasetContext:
    """Given to each `@dataset` builder. Read what earlier builders made from the database:
    they may have been built by an earlier run."""

    scale: Scale
    name: str
    seed: int = 42
    log: Callable[[str], None] = print
    rng: random.Random = field(init=False)

    def __post_init__(self):
        self.rng = _seeded(self.name, self.seed)

    def count(self, kind: str) -> int:
        return self.scale.count(kind)


def bench_client() -> Client:
    """In-process WSGI client through the full middleware stack, as if behind the TLS proxy.

    With production settings SECURE_PROXY_SSL_HEADER trusts X-Forwarded-Proto, so requests are
    secure the way they are behind the load balancer (no redirect, secure cookies sent).
    """
    return Client(HTTP_X_FORWARDED_PROTO="https", REMOTE_ADDR="127.0.0.1")


@dataclass
class ScenarioContext:
    """Given to each `@scenario` setup function."""

    scale: Scale
    name: str
    seed: int = 42
    log: Callable[[str], None] = print
    rng: random.Random = field(init=False)
    client: Client = field(init=False)
    notes: dict = field(init=False, default_factory=dict)  # measured besides the calls (a background load's rate)

    def __post_init__(self):
        self.rng = _seeded(self.name, self.seed)
        self.client = bench_client()

    def client_for(self, user) -> Client:
        """A client signed in as `user` (session written during setup, not timed)."""
        client = bench_client()
        client.force_login(user)
        return client
