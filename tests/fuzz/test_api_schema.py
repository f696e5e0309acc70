"""Fuzz every operation of the OpenAPI schema as an anonymous client, a shopper and a POS till.

The schema is loaded from the Django WSGI application in-process (no server), so every endpoint
an app adds under /api/v1/ is fuzzed as soon as it is in the schema. Each generated request must
answer without a 5xx, with a status code and content type the schema documents, and a body that
matches the documented response schema. Generated values are sometimes swapped for seeded ones
(store codes, SKUs, product ids, a cart token, an order number) so that lookups hit real rows.

Budget: FUZZ_MAX_EXAMPLES examples per operation and principal (default 25); derandomized, so a
failure reproduces with the same command (as long as the schema is the same). A deeper run:
    make test PYTEST_ARGS="tests/fuzz -q" FUZZ_MAX_EXAMPLES=200
FUZZ_STATS=/tmp/fuzz.tsv appends "operation, principal, status" per request, to see how far a run got.
"""

import os
import uuid

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from retail.wsgi import application
from tests.fuzz.conftest import PRINCIPALS, keep_test_connection

MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "25"))
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
IDEMPOTENCY_HEADER = "Idempotency-Key"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)


def documents_header(operation, name: str) -> bool:
    return any(
        parameter.get("in") == "header" and parameter.get("name", "").lower() == name.lower()
        for parameter in operation.definition.raw.get("parameters", [])
    )


def use_real_values(case, seed, data) -> None:
    """Now and then put a seeded value (store code, SKU, order number...) where a field of that name goes."""
    for container in (case.path_parameters, case.query):
        if isinstance(container, dict):
            _swap(container, seed, data, depth=0)
    if isinstance(case.body, (dict, list)):
        _swap(case.body, seed, data, depth=0)


def _swap(container, seed, data, *, depth: int) -> None:
    if depth > 3:
        return
    items = list(container.items()) if isinstance(container, dict) else list(enumerate(container))
    for name, value in items:
        real = seed.values.get(name) if isinstance(name, str) else None
        if real and data.draw(st.booleans(), label=f"real {name}"):
            container[name] = data.draw(st.sampled_from(real), label=name)
        elif isinstance(value, (dict, list)):
            _swap(value, seed, data, depth=depth + 1)


@pytest.mark.django_db
@pytest.mark.parametrize("principal", PRINCIPALS, indirect=True)
@schema.parametrize()
@schema.given(data=st.data())
@hypothesis.settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_api_operation(case, data, principal, seed):
    # given a generated request, sometimes pointing at real rows, sent as this principal
    use_real_values(case, seed, data)
    headers = dict(principal.headers)
    if case.method.upper() in WRITE_METHODS:
        # A fresh key per request lets the effect run; a documented header is also fuzzed as generated.
        documented = documents_header(case.operation, IDEMPOTENCY_HEADER)
        if not documented or data.draw(st.booleans(), label="fresh Idempotency-Key"):
            headers[IDEMPOTENCY_HEADER] = str(uuid.UUID(int=data.draw(st.integers(0, 2**128 - 1), label="key")))

    # when it is sent to the app / then the answer is no 5xx and is what the schema documents
    with keep_test_connection():
        response = case.call_and_validate(headers=headers, checks=CHECKS)
    if os.environ.get("FUZZ_STATS"):  # a tally of answers per operation, to see how deep the run reached
        with open(os.environ["FUZZ_STATS"], "a") as out:
            out.write(f"{case.operation.label}\t{principal.name}\t{response.status_code}\n")
