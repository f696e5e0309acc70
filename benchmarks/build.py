"""Build the dataset of a scale once: each builder leaves a marker row, and is skipped next time."""

import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection, transaction

from benchmarks.context import DatasetContext
from benchmarks.registry import Registry
from benchmarks.scales import Scale

MARKER_TABLE = "benchmark_dataset"


class DatasetMismatch(Exception):
    """The database holds another scale (or an older builder version): it must be rebuilt."""


@dataclass(frozen=True)
class BuiltDataset:
    name: str
    scale: str
    version: int
    seconds: float
    built_now: bool

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "scale": self.scale,
            "version": self.version,
            "seconds": round(self.seconds, 3),
            "built_now": self.built_now,
        }


def _markers() -> dict[str, tuple[str, int, float]]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {MARKER_TABLE} ("
            " name text PRIMARY KEY, scale text NOT NULL, version integer NOT NULL,"
            " seconds double precision NOT NULL, built_at timestamptz NOT NULL DEFAULT now())"
        )
        cursor.execute(f"SELECT name, scale, version, seconds FROM {MARKER_TABLE}")  # noqa: S608
        return {name: (scale, version, seconds) for name, scale, version, seconds in cursor.fetchall()}


def ensure_dataset(
    *, scale: Scale, registry: Registry, seed: int = 42, log: Callable[[str], None] = print
) -> list[BuiltDataset]:
    """Run every builder not yet built at this scale, in order; each in its own transaction.

    Raises DatasetMismatch when a builder was built at another scale or version: its rows (and
    those of builders after it) would be wrong, so the caller starts from an empty database.
    """
    markers = _markers()
    builders = registry.ordered_datasets()
    stale = [
        f"{b.name} (built at {markers[b.name][0]} v{markers[b.name][1]})"
        for b in builders
        if b.name in markers and markers[b.name][:2] != (scale.name, b.version)
    ]
    if stale:
        raise DatasetMismatch(f"wanted {scale.name}, found: {', '.join(stale)}")
    results = []
    for builder in builders:
        if builder.name in markers:
            results.append(BuiltDataset(builder.name, scale.name, builder.version, markers[builder.name][2], False))
            continue
        log(f"building dataset {builder.name!r} at scale {scale.name} ...")
        started = time.perf_counter()
        with transaction.atomic():
            builder.func(DatasetContext(scale=scale, name=builder.name, seed=seed, log=log))
            seconds = time.perf_counter() - started
            with connection.cursor() as cursor:
                cursor.execute(
                    f"INSERT INTO {MARKER_TABLE} (name, scale, version, seconds) VALUES (%s, %s, %s, %s)",  # noqa: S608
                    [builder.name, scale.name, builder.version, seconds],
                )
        log(f"  {builder.name}: {seconds:.1f}s")
        results.append(BuiltDataset(builder.name, scale.name, builder.version, seconds, True))
    return results
