import time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from retail.models import Store
from retail.seeding import SCALES, SeedContext, seed_steps


class Command(BaseCommand):
    help = "Seed a realistic demo chain (deterministic for a given --seed)."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--scale", choices=sorted(SCALES), default="small")
        parser.add_argument("--if-empty", action="store_true", help="Do nothing when stores already exist.")
        parser.add_argument("--only", nargs="*", help="Run only these steps (by name).")

    def handle(self, *args, seed, scale, if_empty, only, **options):
        if if_empty and Store.objects.exists():
            self.stdout.write("Demo data already present; skipping the seed (run seed_demo to add more).")
            return
        ctx = SeedContext(seed=seed, scale=scale, log=self.stdout.write)
        steps = [s for s in seed_steps() if not only or s.name in only]
        if only and len(steps) != len(set(only)):
            raise CommandError(f"Unknown step; known: {', '.join(s.name for s in seed_steps())}")
        started = time.monotonic()
        for step in steps:
            self.stdout.write(f"Seeding {step.name} ...")
            began = time.monotonic()
            with transaction.atomic():
                step.func(ctx)
            self.stdout.write(f"  ({time.monotonic() - began:.1f} s)")
        took = time.monotonic() - started
        done = f"Seeded {len(steps)} steps in {took:.0f} s (seed={seed}, scale={scale})."
        self.stdout.write(self.style.SUCCESS(done))
