"""Demo seed registry: every app adds its own steps in `<app>/seed.py` with `@seed_step`.

Steps run in `order`, share one `SeedContext` (a seeded random generator, the scale, and what
earlier steps made), and must be deterministic for a given --seed.
"""

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.module_loading import autodiscover_modules

SCALES = {
    # multipliers every step applies to its own base counts
    "tiny": 0.05,
    "small": 1.0,
    "medium": 5.0,
}


@dataclass
class SeedContext:
    seed: int = 42
    scale: str = "small"
    rng: random.Random = field(default_factory=random.Random)
    made: dict = field(default_factory=dict)  # step outputs shared with later steps
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # (role, email, note)
    log: Callable[[str], None] = print

    def __post_init__(self):
        self.rng.seed(self.seed)

    def count(self, base: int, minimum: int = 1) -> int:
        return max(minimum, int(base * SCALES[self.scale]))


@dataclass(frozen=True)
class SeedStep:
    order: int
    name: str
    func: Callable[[SeedContext], None]


_steps: dict[str, SeedStep] = {}


def seed_step(*, order: int, name: str):
    def register(func):
        _steps[name] = SeedStep(order=order, name=name, func=func)
        return func

    return register


def seed_steps() -> list[SeedStep]:
    autodiscover_modules("seed")
    return sorted(_steps.values(), key=lambda s: (s.order, s.name))
