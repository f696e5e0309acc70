"""The arrows between apps (pyproject's [tool.importlinter] contracts, checked by tests/layers.py)."""

from pathlib import Path

from tests import layers


def test_the_code_keeps_every_contract_and_its_private_modules():
    # when
    problems = layers.problems()

    # then
    assert problems == []


def _import(importer: str, *path: str, nested: bool = False, commented: bool = False) -> layers.Import:
    target = ".".join(p for p in path if not p.startswith("_") or p.startswith("__"))
    return layers.Import(importer, target, path, Path(layers.ROOT / "x.py"), 1, nested, commented)


def test_an_arrow_upward_is_refused():
    # given: inventory (below) importing orders and customers (above), and the legal way down
    found = [
        _import("inventory.models", "orders", "models", "Order"),
        _import("customers.selectors", "orders", "selectors"),
        _import("orders.services.checkout", "inventory", "services", "reserve_stock"),
        _import("retail.outbox", "retail", "models", "OutboxMessage"),
    ]

    # when
    broken = layers.broken_contracts(found, layers.config()["contracts"])

    # then
    assert len(broken) == 2
    assert "inventory.models imports orders" in broken[0]
    assert "customers.selectors imports orders" in broken[1]


def test_orders_may_not_import_its_returns_app_but_returns_may_import_orders():
    found = [
        _import("orders.services.pickups", "orders", "returns", "services"),
        _import("orders.returns.services.refunds", "orders", "services", "refund_payment"),
    ]

    broken = layers.broken_contracts(found, layers.config()["contracts"])

    assert [b.split(" — ")[0] for b in broken] == ["x.py:1: orders.services.pickups imports orders.returns.services"]


def test_the_forbidden_contract_names_every_module_of_orders_but_returns():
    # given: a new module in orders would otherwise be free to import returns
    contract = next(c for c in layers.config()["contracts"] if c.get("forbidden_modules") == ["orders.returns"])
    children = {
        f"orders.{path.stem if path.is_file() else path.name}"
        for path in (layers.ROOT / "orders").iterdir()
        if (path.suffix == ".py" and path.stem != "__init__") or (path / "__init__.py").exists()
    }

    # then
    assert set(contract["source_modules"]) == children - {"orders.returns"}


def test_private_modules_and_names_stay_inside_their_package():
    found = [
        _import("orders.services.pickups", "orders", "services", "_common", "audit"),  # a sibling: allowed
        _import("orders.handlers", "orders", "services", "_common", "NOTIFY_TOPIC"),
        _import("orders.services.merge", "orders", "services", "carts", "_absorb"),
        _import("orders.services.carts", "orders", "services", "carts", "__all__"),  # a dunder is public
    ]

    broken = layers.private_reach_ins(found)

    assert [b.split(": ", 1)[1] for b in broken] == [
        "orders.handlers reaches into orders.services._common, private to orders.services",
        "orders.services.merge reaches into orders.services.carts._absorb, private to orders.services.carts",
    ]


def test_an_import_inside_a_function_needs_a_comment_saying_why():
    found = [
        _import("orders.services.pos", "customers", "services", "loyalty", nested=True),
        _import("customers.services.profiles", "customers", "services", "merge", nested=True, commented=True),
        _import("orders.services.pos", "inventory", "services"),  # at the top
        _import("orders.migrations.0002_x", "orders", "models", nested=True),  # Django writes those
    ]

    assert [b.split(": ", 1)[1] for b in layers.unexplained_nested(found)] == [
        "import inside a function without a comment saying why"
    ]


def test_modules_importing_each_other_at_the_top_are_a_cycle():
    found = [
        _import("customers.services.timeline", "customers", "services", "loyalty"),
        _import("customers.services.loyalty", "customers", "services", "merge"),
        _import("customers.services.merge", "customers", "services", "timeline"),
        _import("customers.services.loyalty", "customers", "services", "profiles"),
        _import("customers.services.profiles", "customers", "services", "timeline", nested=True),  # breaks none
    ]

    assert layers.import_cycles(found) == [
        "import cycle: customers.services.loyalty <-> customers.services.merge <-> customers.services.timeline "
        "(import one of them inside a function, and say why)"
    ]
