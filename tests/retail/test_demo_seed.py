"""`make demo` runs on SQLite: the whole demo seed must work there, not only on PostgreSQL."""

import os
import subprocess
import sys

import pytest
from django.conf import settings


@pytest.mark.slow
def test_the_demo_seed_runs_on_sqlite_and_leaves_an_exact_ledger(tmp_path):
    # given a fresh SQLite file and the demo's embedded settings (no PostgreSQL, no Redis)
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env.update(DJANGO_ENV="demo", DATABASE_URL=f"sqlite:///{tmp_path / 'demo.sqlite3'}", LOG_LEVEL="WARNING")

    def manage(*args):
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=settings.BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )

    # when it is migrated and seeded (every app's step, at the smallest scale)
    for step in (("migrate", "--no-input", "-v0"), ("seed_demo", "--scale", "tiny")):
        result = manage(*step)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    # then every app seeded, and stock levels equal their ledger and reservations
    assert "Seeded 5 steps" in result.stdout
    for step in ("stores-and-staff", "catalog-and-stock", "customers", "orders", "returns"):
        assert f"Seeding {step}" in result.stdout
    verify = manage("verify_stock_ledger")
    assert verify.returncode == 0, verify.stdout + verify.stderr
