"""Run schemathesis (its CLI, all four phases) against a live server as one caller, and read its report.

Used by tests/fuzz/test_live.py (a short budget in CI) and `make fuzz` (the full one). Each caller
gets a config file: its headers, real ids for the parameters that name rows (so lookups hit), our
own checks (tests/fuzz/hooks.py) and every built-in one, and the warnings issue 15 forbids made
failures (`missing_test_data`, `validation_mismatch`).
"""

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

from inventory.api.fields import EXAMPLE_SKU
from tests.fuzz.world import World


def api_schema() -> dict:
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


PHASES = ("examples", "coverage", "fuzzing", "stateful")
BATCHES = r"^/api/v1/(events|pos/sales/batch)/$"
QR = r"^/api/v1/orders/\{number\}/qr\.svg$"
ARRIVED = r"^/api/v1/orders/\{number\}/arrived/$"
# Proof of a phone (issue 13): the code must be the one we texted, a one-time secret that five wrong tries
# void and the first right one uses up, so every generated code is refused by design, with the rule's
# own code (invalid_code), never for its shape (hooks.shape_of_valid_input_is_accepted still checks
# that). Neither warning says anything about the schema there: validation_mismatch is that refusal, and
# missing_auth comes of it (schemathesis takes the caller's credentials as working only once it sees a
# valid case accepted, which never happens here). Everywhere else they fail the run. (Asking for a
# code is not exempt: its example and `phones` are numbers of the numbering plan.)
EXEMPT_WARNINGS = {
    "validation_mismatch": ("POST /api/v1/me/phone/confirm/",),
    "missing_auth": ("POST /api/v1/me/phone/confirm/",),
}
HOOKS = Path(__file__).with_name("hooks.py")
# Failing warnings: the schema or the seed is wrong if these appear.
FAIL_ON_WARNINGS = ("missing_test_data", "validation_mismatch", "missing_auth", "rate_limited")
# What each caller may call: an anonymous client the public reads, carts, events and guest checkout; a
# till its POS endpoints and the public reads; shoppers and staff everything but the tills'. (Refusals
# of the others are the security tests' business: here they would be all 401/403, `missing_auth`.)
OPERATIONS = {
    "anonymous": ["--include-path-regex", r"^/api/v1/(stores|products|availability|carts)/|^/api/v1/(events|orders)/$"],
    "device": ["--include-path-regex", r"^/api/v1/(pos|stores|products|availability)/"],
    "shopper": ["--exclude-path-regex", r"^/api/v1/(pos|webhooks|events/feed)/"],
    "staff": ["--exclude-path-regex", r"^/api/v1/(pos|webhooks|events/feed)/"],
    "integration": ["--include-path-regex", r"^/api/v1/(webhooks|events/feed)/"],
}


@dataclass
class Budget:
    max_examples: int  # per operation and phase
    max_time: int  # seconds for the whole run of one caller (fuzzing and stateful repeat until it is spent)
    stateful_steps: int = 6


SHORT = Budget(max_examples=8, max_time=50)
FULL = Budget(max_examples=100, max_time=600, stateful_steps=20)


def _toml(value) -> str:
    return json.dumps(value)  # strings, numbers, lists and inline tables of them read the same in TOML


def config(world: World, caller: str, budget: Budget) -> str:
    dictionaries = {
        "orders": world.order_numbers,
        "ready_orders": world.ready_orders,
        "curbside_orders": world.curbside_orders,
        "returns": world.rma_numbers,
        "carts": world.cart_tokens,
        "skus": world.skus,
        "barcodes": world.barcodes,
        "stores": world.stores,
        "categories": world.categories,
        "products": world.product_ids,
        "items": world.list_item_ids,
        "receipts": world.receipts,
        "giftcards": world.gift_cards,
        "subscriptions": world.subscription_ids,
        "phones": world.phones,
    }
    bindings = {
        "path.number": "orders",
        "path.rma_number": "returns",
        "path.token": "carts",
        "path.sku": "skus",
        "path.code": "stores",
        "path.pk": "products",
        "path.item_id": "items",
        "path.subscription_id": "subscriptions",
        "query.sku": "skus",
        "query.store": "stores",
        "query.category": "categories",
        "body.sku": "skus",
        "body.lines[*].sku": "skus",
        "body.lines[*].barcode": "barcodes",
        "body.groups[*].lines[*].sku": "skus",
        "body.receipts[*].lines[*].sku": "skus",
        "body.receipts[*].lines[*].barcode": "barcodes",
        "body.order_number": "orders",
        "body.original_receipt": "receipts",
        "body.store": "stores",
        "body.home_store": "stores",
        "body.fulfillment.store": "stores",
        "body.groups[*].store": "stores",
        "body.token": "carts",
        "body.code": "giftcards",
        "body.events[*].store": "stores",
        "body.phone": "phones",
    }
    lines = [
        f"max-time = {budget.max_time}",
        "seed = 15",
        f"headers = {{ {', '.join(f'{_toml(k)} = {_toml(v)}' for k, v in world.headers(caller).items())} }}",
        "[generation]",
        f"max-examples = {budget.max_examples}",
        "with-security-parameters = false  # the caller's own credentials are in `headers`",
        "allow-x00 = false  # refused by the API before any view (a documented 400), so not worth the examples",
        "[phases.stateful]",
        f"max-steps = {budget.stateful_steps}",
        "[checks]",
        "# Every check runs (ours from hooks.py too) but this one, which hooks.shape_of_valid_input_is_accepted",
        "# replaces: a schema-valid request may be refused for a rule the schema cannot hold (an unknown SKU,",
        "# tenders that do not add up) with that rule's own code; only a refusal of its shape (`invalid`,",
        "# `unknown_field`, `parse_error`) means the schema is looser than the code.",
        "positive_data_acceptance.enabled = false",
        "[warnings]",
        "fail-on = false  # read from the report instead, where an operation can be exempt (Outcome.ok)",
        "[parameters]",
        *(f"{_toml(key)} = {{ dictionary = {_toml(name)}, probability = 0.8 }}" for key, name in bindings.items()),
    ]
    for name, values in dictionaries.items():
        lines += [f"[dictionaries.{name}]", f"values = {_toml(list(values))}"]
    lines += [
        "# A batch answers 200 and refuses its bad items one by one (issue 15): hooks.bad_batch_items_are_refused",
        "# checks that instead of a 4xx for the whole request.",
        "[[operations]]",
        f"include-path-regex = {_toml(BATCHES)}",
        "checks.negative_data_rejection.enabled = false",
        "# Only a pick-up that is ready has a QR (others: 409 not_ready): its orders, not any of the shopper's.",
        "[[operations]]",
        f"include-path-regex = {_toml(QR)}",
        'parameters = { "path.number" = { dictionary = "ready_orders", probability = 0.9 } }',
        '# "I\'m here" is for a curbside pick-up: its orders (any other number is a 404 or 409, one run in',
        "# ten it was most of the cases: missing_test_data).",
        "[[operations]]",
        f"include-path-regex = {_toml(ARRIVED)}",
        'parameters = { "path.number" = { dictionary = "curbside_orders", probability = 0.9 } }',
    ]
    return "\n".join(lines) + "\n"


@dataclass
class Outcome:
    caller: str
    returncode: int
    output: str
    report: dict = field(default_factory=dict)
    calls: list[dict] = field(default_factory=list)  # one per request: operation, phase, mode, status, code

    @property
    def failing_warnings(self) -> dict[str, list[str]]:
        found = {}
        for name in FAIL_ON_WARNINGS:
            reported = self.report.get("warnings", {}).get(name, [])
            operations = [o for o in reported if o not in EXEMPT_WARNINGS.get(name, ())]
            if operations:
                found[name] = operations
        return found

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and bool(self.report) and not self.failing_warnings


def run(base_url: str, world: World, caller: str, budget: Budget, workdir: Path) -> Outcome:
    """schemathesis run <schema> as `caller`, every phase; exit code 0 only with no failure and no failing warning.

    Two runs, each with half the time: examples and coverage (deterministic, as long as the schema
    makes them), then fuzzing and stateful (which repeat until their time is spent), so that on a
    slow machine no phase is left out.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    schema_file = workdir / "openapi.json"
    schema_file.write_text(json.dumps(api_schema(), default=str))  # what /api/schema/ serves, built once here
    facts = {
        "caller": caller,
        "skus": world.skus,
        "sku": EXAMPLE_SKU,  # what the receipt and the example order sold
        "pickup_stores": world.stores[:2],
        "receipt": world.receipts[0],
        "returnable_orders": world.returnable_orders,  # collected, EXAMPLE_ORDER first
        "sent_carts": world.sent_carts,
        "add_skus": world.add_skus,  # only POST /me/cart/lines/ adds to them
        "gift_card_max": str(settings.GIFT_CARD_MAX_AMOUNT),
        "top_up_max": str(settings.WALLET_TOP_UP_MAX),
    }
    half = Budget(budget.max_examples, budget.max_time // 2, budget.stateful_steps)
    outcomes = [
        _run_phases(phases, base_url, world, caller, half, workdir, schema_file, facts)
        for phases in (PHASES[:2], PHASES[2:])
    ]
    first, second = outcomes
    return Outcome(
        caller,
        first.returncode or second.returncode,
        first.output + "\n" + second.output,
        report=_merge_reports(first.report, second.report),
        calls=first.calls + second.calls,
    )


def _merge_reports(first: dict, second: dict) -> dict:
    merged = {"test_cases": {}, "warnings": {}, "phases": {**first.get("phases", {}), **second.get("phases", {})}}
    for key in ("generated", "with_failures", "unique_failures"):
        merged["test_cases"][key] = first.get("test_cases", {}).get(key, 0) + second.get("test_cases", {}).get(key, 0)
    for report in (first, second):
        for name, operations in report.get("warnings", {}).items():
            if operations:
                merged["warnings"].setdefault(name, []).extend(operations)
    return merged


def _run_phases(phases, base_url, world, caller, budget, workdir, schema_file, facts) -> Outcome:
    tag = f"{caller}-{phases[0]}"
    config_file = workdir / f"{tag}.toml"
    config_file.write_text(config(world, caller, budget))
    report = workdir / f"{tag}.json"
    trace = workdir / f"{tag}.trace.ndjson"
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "--config-file",
        str(config_file),
        "run",
        str(schema_file),
        "--url",
        base_url,
        "--phases",
        ",".join(phases),
        "--workers",
        "1",
        "--report",
        "json",
        "--report-json-path",
        str(report),
        "--output-truncate",
        "false",
        *OPERATIONS[caller],
    ]
    env = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": str(HOOKS),
        "NO_COLOR": "1",
        "FUZZ_TRACE": str(trace),
        "FUZZ_WORLD": json.dumps(facts),
    }
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=budget.max_time * 3 + 120)
    outcome = Outcome(caller, done.returncode, done.stdout + done.stderr)
    if report.exists():
        outcome.report = json.loads(report.read_text())
    if trace.exists():
        outcome.calls = [json.loads(line) for line in trace.read_text().splitlines()]
    return outcome
