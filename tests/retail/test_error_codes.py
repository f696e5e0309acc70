"""Error codes are enum members (code -> HTTP status -> meaning), never free strings.

The source of every project app is walked (AST): a domain error, `error_body` or an error class's
`default_code` given a string, a `"code": "..."` written by hand, or a member that does not exist,
fails here, naming the file and line.
"""

import ast
from pathlib import Path

import pytest

from retail.errors import DomainError, RetailCode, error_codes

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("retail", "inventory", "customers", "orders", "insights", "webhooks")
# Calls whose `code=` is not ours: Django's form/validation codes, documentation examples.
FOREIGN_CALLS = {"ValidationError", "OpenApiExample"}


def _sources():
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path, ast.parse(path.read_text(), filename=str(path))


def _error_classes() -> set[str]:
    classes, stack = set(), [DomainError]
    while stack:
        cls = stack.pop()
        classes.add(cls.__name__)
        stack.extend(cls.__subclasses__())
    return classes


def _callee(node: ast.Call) -> str:
    return ast.unparse(node.func).rsplit(".", 1)[-1]


def _inside_foreign_call(tree) -> set[int]:
    """ids of nodes under a call whose codes are not ours (documentation examples and Django's)."""
    skip = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _callee(node) in FOREIGN_CALLS:
            skip.update(id(child) for child in ast.walk(node))
    return skip


def test_every_wire_code_has_one_owner_a_status_and_a_meaning():
    # given every app's enum
    seen: dict[str, type] = {}
    for enum in error_codes():
        for member in enum:
            # then each wire code is owned once, answers an error status and says in one line what it means
            assert member.value not in seen, f"{member.value} is in {seen.get(member.value)} and {enum}"
            seen[member.value] = enum
            assert 400 <= member.status <= 599, member
            assert member.meaning and "\n" not in member.meaning and member.meaning.endswith("."), member
    assert {e.__name__ for e in error_codes()} >= {"RetailCode", "InventoryCode", "CustomerCode", "OrderCode"}


def test_a_code_is_raised_only_as_an_enum_member():
    # given the apps' source, the error classes and every enum member
    errors = _error_classes()
    enums = {enum.__name__: enum for enum in error_codes()}
    wire = {member.value for enum in enums.values() for member in enum}
    found = []

    for path, tree in _sources():
        where = path.relative_to(ROOT)
        skip = _inside_foreign_call(tree)
        for node in ast.walk(tree):
            if id(node) in skip:
                continue
            # when a code is given to an error, error_body or as an error class's default
            if isinstance(node, ast.Call) and (_callee(node) in errors or _callee(node) == "error_body"):
                given = [k.value for k in node.keywords if k.arg == "code"]
                if _callee(node) == "error_body" and node.args:
                    given.append(node.args[0])
                found += [f"{where}:{node.lineno} code={ast.unparse(v)}" for v in given if isinstance(v, ast.Constant)]
            elif isinstance(node, ast.ClassDef) and node.name in errors:
                for stmt in node.body:
                    if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Constant):
                        names = {t.id for t in stmt.targets if isinstance(t, ast.Name)}
                        if names & {"code", "default_code", "status"}:
                            found.append(f"{where}:{stmt.lineno} {node.name}.{names} = {stmt.value.value!r}")
            # or a body written by hand as {"code": "<an error code>"}
            elif isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values, strict=True):
                    if (
                        isinstance(key, ast.Constant)
                        and key.value == "code"
                        and isinstance(value, ast.Constant)
                        and value.value in wire
                    ):
                        found.append(f'{where}:{node.lineno} {{"code": {value.value!r}}}')
            # and every member named exists (a typo would be an AttributeError, a 500, when raised)
            elif (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in enums
                and node.attr.isupper()
                and node.attr not in enums[node.value.id].__members__
            ):
                found.append(f"{where}:{node.lineno} {node.value.id}.{node.attr} does not exist")

    # then there is none: codes are raised as members only
    assert found == []


def test_every_code_is_used_somewhere():
    # given every member, and every reference to one in the apps' source (not their definitions)
    referenced = set()
    for _path, tree in _sources():
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id.endswith("Code"):
                referenced.add(f"{node.value.id}.{node.attr}")

    # then each documented code can actually be answered
    unused = [f"{e.__name__}.{m.name}" for e in error_codes() for m in e if f"{e.__name__}.{m.name}" not in referenced]
    assert unused == []


def test_an_error_takes_its_status_from_its_code_and_refuses_a_string():
    from orders.errors import OrderCode, OrderError

    assert OrderError("declined", code=OrderCode.PAYMENT_DECLINED).status == 402
    assert OrderError("no").code is RetailCode.INVALID
    with pytest.raises(TypeError):
        OrderError("declined", code="payment_declined")
